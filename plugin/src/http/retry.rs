//! The retry policy, by request kind, in one place: an [`HttpClient`] around another.
//!
//! - **Reads** (every GET and HEAD, the token request, and the POSTs that only read or mint a
//!   link: magic links, an instance's auth state, a config's accounts) are sent again after 429,
//!   502, 503 or 504 and after a connection failure: at most [`ATTEMPTS`] in all, apart by
//!   exponential backoff with full jitter, or by `Retry-After` when the server gives one of at
//!   most [`RETRY_AFTER_MAX`]. A longer `Retry-After` is not slept: the answer stands at once.
//! - **Writes** (everything else: executions, creating accounts and configs, proxy calls other
//!   than GET and HEAD, MCP tool calls; an MCP session opening, listing or ping is a read) are never sent again once they may have reached the server;
//!   only after a refusal that proves nothing ran: the connection refused, or a 429 from
//!   Scalekit's gateway (not a provider's, behind the proxy or reached by a tool).
//!
//! A write whose connection was lost once sent is [`TransportError::OutcomeUnknown`]: it may
//! have run. A wait over a second is reported on stderr. [`Retrying::attempts`] tells the most attempts
//! one request took, for the result.

use std::cell::Cell;
use std::time::Duration;

use agent_auth_contract::http_date;

use super::{Body, HttpClient, Request, Response, TransportError, path_of};

/// The most times one request is sent.
pub const ATTEMPTS: u32 = 3;
/// The longest `Retry-After` that is waited for; a longer one ends the call.
pub const RETRY_AFTER_MAX: Duration = Duration::from_secs(30);
/// The first backoff's ceiling; each attempt doubles it.
const BACKOFF_BASE: Duration = Duration::from_millis(500);
/// Statuses a read is sent again after.
const TRANSIENT: [u16; 4] = [429, 502, 503, 504];

/// What a request may risk being sent twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Sending it again changes nothing.
    Read,
    /// It may change something: never sent twice unless nothing ran.
    Write,
}

impl Kind {
    /// The kind of `method` on `url`.
    pub fn of(method: &str, url: &str) -> Kind {
        if matches!(method, "GET" | "HEAD") || (method == "POST" && only_reads(path_of(url))) {
            Kind::Read
        } else {
            Kind::Write
        }
    }

    /// The kind of `request`: as [`Kind::of`], and an MCP message that only reads (a session
    /// opening, a tool listing, a ping) is a read wherever it is posted.
    pub fn of_request(request: &Request) -> Kind {
        // Only a JSON-RPC message (as the MCP session writes them) is parsed: never an execution's
        // input or an upload, on every send.
        let rpc = request
            .body
            .as_ref()
            .and_then(Body::in_memory)
            .filter(|b| b.starts_with(br#"{"jsonrpc":"#))
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok());
        let method = rpc.as_ref().filter(|m| m["jsonrpc"] == "2.0").and_then(|m| m["method"].as_str());
        match method {
            Some("initialize" | "notifications/initialized" | "tools/list" | "ping") => Kind::Read,
            _ => Kind::of(&request.method, &request.url),
        }
    }
}

/// Whether a POST to `path` only reads (or mints a fresh link): the token, a magic link, an
/// instance's auth state, a config's accounts.
fn only_reads(path: &str) -> bool {
    matches!(path, "/oauth/token" | "/api/v1/connected_accounts/magic_link")
        || (path.starts_with("/api/v1/mcp/instances/") && path.ends_with(":get_auth_state"))
        || (path.starts_with("/api/v1/mcp/configs/") && path.ends_with("/connected_accounts"))
}

/// An [`HttpClient`] that sends again what the policy allows.
pub struct Retrying<'a> {
    inner: &'a dyn HttpClient,
    most: Cell<u32>,
}

impl<'a> Retrying<'a> {
    /// Around `inner`.
    pub fn new(inner: &'a dyn HttpClient) -> Retrying<'a> {
        Retrying { inner, most: Cell::new(1) }
    }

    /// The most attempts one request of this call took (1 when none was sent again).
    pub fn attempts(&self) -> u32 {
        self.most.get()
    }
}

/// Why the answer to attempt `attempt` may be followed by another, and after how long.
enum Verdict {
    Final,
    Again(Duration, String),
}

/// The seconds a `Retry-After` value asks for: a number, or an HTTP date from now.
pub fn retry_after_seconds(value: &str) -> Option<u64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds);
    }
    let at = http_date::parse(value)?;
    Some(at.saturating_sub(crate::clock::now()).max(0) as u64)
}

/// Whether an error answer comes from a provider a tool reached (`error_code` `TOOL_ERROR`).
fn reached_a_provider(response: &Response) -> bool {
    let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap_or_default();
    let details = body.get("details").and_then(serde_json::Value::as_array).into_iter().flatten();
    details.into_iter().any(|d| d.get("error_code").and_then(serde_json::Value::as_str) == Some("TOOL_ERROR"))
}

/// The pause before attempt `attempt + 1`: `jitter` (from 0 to 1, drawn at random: full jitter)
/// of `BACKOFF_BASE * 2^(attempt - 1)`.
fn backoff(attempt: u32, jitter: f64) -> Duration {
    (BACKOFF_BASE * 2u32.pow(attempt.saturating_sub(1))).mul_f64(jitter.clamp(0.0, 1.0))
}

/// `streamed`: the body goes to a sink, which a failure may have written part of; `jitter` scales
/// the backoff.
fn verdict(
    kind: Kind,
    url: &str,
    (attempt, jitter): (u32, f64),
    streamed: bool,
    outcome: &Result<Response, TransportError>,
) -> Verdict {
    if attempt >= ATTEMPTS {
        return Verdict::Final;
    }
    // Scalekit's gateway refused it (not a provider behind the proxy or a tool): nothing ran.
    let refused_by_gateway = |r: &Response| !path_of(url).starts_with("/proxy") && !reached_a_provider(r);
    match outcome {
        Err(TransportError::Refused) => Verdict::Again(backoff(attempt, jitter), "the connection was refused".into()),
        Err(TransportError::Lost(what)) if kind == Kind::Read && !streamed => {
            Verdict::Again(backoff(attempt, jitter), what.clone())
        }
        Ok(response)
            if TRANSIENT.contains(&response.status)
                && (kind == Kind::Read || (response.status == 429 && refused_by_gateway(response))) =>
        {
            let why = format!("the server answered HTTP {}", response.status);
            match response.header("retry-after").and_then(retry_after_seconds).map(Duration::from_secs) {
                Some(wait) if wait > RETRY_AFTER_MAX => Verdict::Final,
                Some(wait) => Verdict::Again(wait, why),
                None => Verdict::Again(backoff(attempt, jitter), why),
            }
        }
        _ => Verdict::Final,
    }
}

impl HttpClient for Retrying<'_> {
    fn send(&self, request: Request, mut sink: Option<&mut dyn std::io::Write>) -> Result<Response, TransportError> {
        let kind = Kind::of_request(&request);
        let mut attempt = 1;
        loop {
            let outcome = self.inner.send(request.clone(), sink.as_mut().map(|s| &mut **s as &mut dyn std::io::Write));
            let jitter = (crate::bindings::wasi::random::random::get_random_u64() % 10_000) as f64 / 10_000.0;
            match verdict(kind, &request.url, (attempt, jitter), sink.is_some(), &outcome) {
                Verdict::Final => {
                    return match outcome {
                        Err(TransportError::Lost(what)) if kind == Kind::Write => {
                            Err(TransportError::OutcomeUnknown(what))
                        }
                        outcome => outcome,
                    };
                }
                Verdict::Again(wait, why) => {
                    if wait > Duration::from_secs(1) {
                        crate::output::progress(&format!(
                            "{why}; trying again in {:.1} s (attempt {} of {ATTEMPTS})",
                            wait.as_secs_f64(),
                            attempt + 1
                        ));
                    }
                    std::thread::sleep(wait);
                    attempt += 1;
                    self.most.set(self.most.get().max(attempt));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_by_method_and_path() {
        let url = |p: &str| format!("https://acme.scalekit.cloud{p}");
        assert_eq!(Kind::of("GET", &url("/api/v1/connections/app?page_size=30")), Kind::Read);
        assert_eq!(Kind::of("POST", &url("/oauth/token")), Kind::Read);
        assert_eq!(
            Kind::of("POST", &url("/api/v1/mcp/instances/mcpi_1:get_auth_state?include_auth_links=true")),
            Kind::Read
        );
        assert_eq!(Kind::of("POST", &url("/api/v1/mcp/configs/cfg_1/connected_accounts")), Kind::Read);
        assert_eq!(Kind::of("POST", &url("/api/v1/execute_tool")), Kind::Write);
        assert_eq!(Kind::of("POST", &url("/api/v1/connected_accounts")), Kind::Write);
        assert_eq!(Kind::of("POST", &url("/proxy/v1/connected_accounts")), Kind::Write);
        assert_eq!(Kind::of("GET", &url("/proxy/v1/users/me")), Kind::Read);
        assert_eq!(Kind::of("PATCH", &url("/proxy/v1/blocks/x/children")), Kind::Write);
        let mcp = |method: &str| Request {
            method: "POST".into(),
            url: url("/mcp/v3/instances/mcpi_1?token=t"),
            headers: Vec::new(),
            body: Some(
                serde_json::to_vec(&serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method})).unwrap().into(),
            ),
        };
        assert_eq!(Kind::of_request(&mcp("tools/list")), Kind::Read);
        assert_eq!(Kind::of_request(&mcp("tools/call")), Kind::Write);
    }

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Result<Response, TransportError> {
        let headers = headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Ok(Response { status, headers, body: body.as_bytes().to_vec() })
    }

    fn again(
        kind: Kind,
        path: &str,
        attempt: u32,
        streamed: bool,
        outcome: Result<Response, TransportError>,
    ) -> Option<Duration> {
        match verdict(kind, &format!("https://acme.scalekit.cloud{path}"), (attempt, 0.999), streamed, &outcome) {
            Verdict::Again(wait, _) => Some(wait),
            Verdict::Final => None,
        }
    }

    #[test]
    fn writes_go_again_only_when_nothing_ran() {
        let (api, proxy) = ("/api/v1/execute_tool", "/proxy/v1/pages");
        let retry_after = [("retry-after", "2")];
        assert_eq!(again(Kind::Write, api, 1, false, answer(429, &retry_after, "{}")), Some(Duration::from_secs(2)));
        let tool_error = r#"{"code": 8, "details": [{"error_code": "TOOL_ERROR"}]}"#;
        assert_eq!(again(Kind::Write, api, 1, false, answer(429, &[], tool_error)), None, "a provider's 429");
        assert_eq!(again(Kind::Write, proxy, 1, false, answer(429, &[], "{}")), None, "behind the proxy");
        assert_eq!(again(Kind::Write, api, 1, false, answer(503, &[], "{}")), None);
        assert_eq!(again(Kind::Write, api, 1, false, Err(TransportError::Lost("reset".into()))), None);
        assert!(again(Kind::Write, api, 1, false, Err(TransportError::Refused)).is_some());
    }

    #[test]
    fn reads_go_again_three_times_at_most_and_never_sleep_a_long_retry_after() {
        let path = "/api/v1/connections/app";
        for attempt in 1..ATTEMPTS {
            let wait = again(Kind::Read, path, attempt, false, answer(503, &[], "")).expect("again");
            assert!(wait <= BACKOFF_BASE * 2u32.pow(attempt - 1), "{wait:?}");
        }
        assert_eq!(again(Kind::Read, path, ATTEMPTS, false, answer(503, &[], "")), None);
        assert_eq!(again(Kind::Read, path, 1, false, answer(429, &[("retry-after", "31")], "")), None);
        assert_eq!(again(Kind::Read, path, 1, false, answer(404, &[], "")), None);
        assert_eq!(
            again(Kind::Read, path, 1, false, Err(TransportError::Failed("DNS".into()))),
            None,
            "DNS does not mend"
        );
        assert_eq!(
            again(Kind::Read, path, 1, true, Err(TransportError::Lost("cut".into()))),
            None,
            "a half-written sink"
        );
        assert!(again(Kind::Read, path, 1, false, Err(TransportError::Lost("cut".into()))).is_some());
    }
}
