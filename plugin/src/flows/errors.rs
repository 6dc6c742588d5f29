//! The default translation of Scalekit failures into the contract's codes and hints.
//! Flows handle the statuses that mean something specific to them first.

use serde_json::json;

use crate::http::TransportError;
use crate::http::retry::retry_after_seconds;
use crate::output::{Code, Failure};
use crate::scalekit::{ApiError, ErrorResponse, Redirect};

impl From<ApiError> for Failure {
    fn from(err: ApiError) -> Failure {
        match err {
            ApiError::Transport(t) => transport(t),
            ApiError::Credentials(r) => Failure::new(
                Code::InvalidCredentials,
                format!("Scalekit refused the client credentials: {}", r.message),
                "Check TOOL_CLIENT_ID and TOOL_CLIENT_SECRET, and that TOOL_ENV_URL is the environment they belong to.",
            ),
            ApiError::Status(r) => status(*r),
            ApiError::Decode(what) => Failure::new(
                Code::ScalekitError,
                what,
                "Check that TOOL_ENV_URL points at a Scalekit environment; retry later if it does.",
            ),
            ApiError::Redirected(r) => redirected(&r),
        }
    }
}

/// A redirect, never followed: to another host it is what the sandbox refuses.
fn redirected(r: &Redirect) -> Failure {
    let hint =
        "Set TOOL_ENV_URL to your environment's own URL (https://your-env.scalekit.cloud), not an address that moved.";
    let failure = match &r.other_host {
        Some(host) => Failure::new(
            Code::EgressDenied,
            format!(
                "Scalekit answered {}, a redirect to another host ({host}): agent-auth never follows redirects, and reaches only TOOL_ENV_URL's host",
                r.status
            ),
            hint,
        ),
        None => Failure::new(
            Code::ScalekitError,
            format!("Scalekit answered {}, a redirect to {}, which agent-auth does not follow", r.status, r.path),
            hint,
        ),
    };
    failure.with("http_status", r.status)
}

fn transport(t: TransportError) -> Failure {
    match t {
        TransportError::Denied => Failure::new(
            Code::EgressDenied,
            "the sandbox refused a request to a host other than TOOL_ENV_URL's",
            "agent-auth only reaches the host of TOOL_ENV_URL; check that variable.",
        ),
        TransportError::Timeout(what) => Failure::new(
            Code::Timeout,
            format!("Scalekit did not answer in time ({what})"),
            "Retry in a moment; the request may or may not have been carried out.",
        ),
        TransportError::Refused => Failure::new(
            Code::TransportError,
            "could not reach Scalekit (connection refused)",
            "Check the network and TOOL_ENV_URL, then retry.",
        ),
        TransportError::Failed(what) | TransportError::Lost(what) => Failure::new(
            Code::TransportError,
            format!("could not reach Scalekit ({what})"),
            "Check the network and TOOL_ENV_URL, then retry.",
        ),
        TransportError::OutcomeUnknown(what) => Failure::new(
            Code::OutcomeUnknown,
            format!(
                "the connection to Scalekit was lost after the request was sent ({what}): it may or may not have run"
            ),
            "Check whether it took effect (read what it would have changed) before trying again; never repeat it blindly.",
        ),
        TransportError::TooLarge(how) => Failure::new(
            Code::ScalekitError,
            format!("the answer {how}, more than agent-auth reads into memory"),
            "For a large file from a provider, use --proxy-request with --output-file, which streams it to disk.",
        ),
        TransportError::Source(what) => Failure::new(
            Code::InputFileUnreadable,
            format!("the file being uploaded could not be read while it was sent: {what}"),
            "Check that the --input-file is still there and readable, then send it again.",
        ),
        TransportError::Sink(what) => Failure::new(
            Code::OutputFileUnwritable,
            format!("the response could not be written: {what}"),
            "Pass an --output-file on a disk with room, in a writable folder.",
        ),
    }
}

/// Maps any non-2xx Scalekit response by its status and error code.
pub fn status(r: ErrorResponse) -> Failure {
    let message = format!("Scalekit answered {}: {}", r.status, r.message);
    let mut failure = if r.is("TOOL_ERROR") {
        let tool = r.tool_error.clone().unwrap_or_default();
        Failure::new(
            Code::ToolError,
            format!("the tool failed at the provider: {}", nonempty(&tool.tool_error_message, &r.message)),
            "Read the provider's message; fix the input or retry later, and do not retry writes blindly.",
        )
        .with("execution_id", &tool.execution_id)
        .with("tool_error", json!({"code": tool.tool_error_code, "message": tool.tool_error_message}))
    } else if r.status == 429 || r.is("RATE_LIMITED") {
        let seconds = r.retry_after.as_deref().and_then(retry_after_seconds);
        let failure = Failure::new(Code::RateLimited, message, retry_hint(r.retry_after.as_deref()));
        match seconds {
            Some(seconds) => failure.with("retry_after_seconds", seconds),
            None => failure,
        }
    } else {
        match r.status {
            400 => Failure::new(
                Code::InvalidRequest,
                message,
                "Fix the arguments named in the message and run the command again.",
            ),
            401 => Failure::new(
                Code::InvalidCredentials,
                message,
                "Check TOOL_CLIENT_ID, TOOL_CLIENT_SECRET and TOOL_ENV_URL; they must belong to the same environment.",
            ),
            403 => Failure::new(
                Code::PermissionDenied,
                message,
                "These credentials may not do this; check the environment's settings in the Scalekit dashboard.",
            ),
            404 => Failure::new(
                Code::NotFound,
                message,
                "Check the names you passed (agent-auth --list-connections, agent-auth --get-tool).",
            ),
            _ => Failure::new(Code::ScalekitError, message, "Retry later; if it persists, check Scalekit's status."),
        }
    };
    if !r.violations.is_empty() {
        failure = failure.with("violations", &r.violations);
    }
    failure.with("http_status", r.status)
}

/// "Wait and retry ..." with the server's `Retry-After` (seconds or an HTTP date) when given.
pub fn retry_hint(retry_after: Option<&str>) -> String {
    let wait = match retry_after.map(str::trim) {
        Some(s) if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) => format!(" after {s} seconds"),
        Some(s) if !s.is_empty() => format!(" after {s}"),
        _ => String::new(),
    };
    format!("Wait and retry{wait}; do not retry in a tight loop.")
}

fn nonempty<'a>(first: &'a str, fallback: &'a str) -> &'a str {
    if first.is_empty() { fallback } else { first }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_fails_while_it_is_sent_is_the_input_file_not_the_output() {
        let read = Failure::from(ApiError::Transport(TransportError::Source("permission denied".into())));
        assert_eq!(read.code, Code::InputFileUnreadable, "{}", read.message);
        assert!(read.message.contains("permission denied") && read.hint.contains("--input-file"), "{}", read.hint);
        let written = Failure::from(ApiError::Transport(TransportError::Sink("no space left".into())));
        assert_eq!(written.code, Code::OutputFileUnwritable);
    }
}
