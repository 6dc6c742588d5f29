//! The runner's own failures (before, around or instead of the component's result), reported in
//! the component's JSON shape with a stable code. Each code carries its exit code, as the
//! component's codes do.

use agent_auth_contract::exit::Exit;
use serde::Serialize;
use serde_json::json;

/// A stable code of a runner failure. Agents branch on these; never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Code {
    /// A runner option (or `agent-auth sandbox` argument) is wrong.
    Usage,
    /// `--env-file` (or `./.env`) cannot be read or parsed.
    EnvFileUnreadable,
    /// `--component` (or the checksum beside it) cannot be read.
    ComponentUnreadable,
    /// `--component` does not match the `.sha256` beside it.
    ComponentChecksumMismatch,
    /// `--component` is not a component this runner can run.
    ComponentInvalid,
    /// A runner setting (`SSL_CERT_FILE`, a proxy variable) is unusable.
    ConfigInvalid,
    /// `agent-auth sandbox --port` cannot be listened on.
    PortUnavailable,
    /// The call ran past its wall-clock limit.
    Timeout,
    /// The component needed more memory than the sandbox allows.
    MemoryLimit,
    /// A bug (the component crashed, or the runner could not start).
    InternalError,
}

impl Code {
    /// The exit code a failure with this code ends the call with.
    pub fn exit(self) -> Exit {
        match self {
            Code::Usage => Exit::Usage,
            Code::EnvFileUnreadable
            | Code::ComponentUnreadable
            | Code::ComponentChecksumMismatch
            | Code::ComponentInvalid
            | Code::ConfigInvalid
            | Code::PortUnavailable => Exit::Config,
            Code::Timeout => Exit::Transport,
            Code::MemoryLimit | Code::InternalError => Exit::Internal,
        }
    }
}

/// A failure of the runner itself.
#[derive(Debug, Clone, PartialEq)]
pub struct RunnerError {
    /// The stable code; decides the exit code.
    pub code: Code,
    /// What went wrong.
    pub message: String,
    /// What to do, in one sentence.
    pub hint: String,
}

impl RunnerError {
    /// A failure with a code, a message and a hint.
    pub fn new(code: Code, message: impl Into<String>, hint: impl Into<String>) -> Self {
        RunnerError { code, message: message.into(), hint: hint.into() }
    }

    /// The exit code.
    pub fn exit(&self) -> Exit {
        self.code.exit()
    }

    /// The line printed on stdout: `{"ok": false, "error": {...}, "warnings": []}`, pretty, as the
    /// component prints its own.
    pub fn to_json(&self) -> String {
        let value = json!({
            "ok": false,
            "error": {"code": self.code, "message": self.message, "hint": self.hint},
            "warnings": [],
        });
        format!("{}\n", serde_json::to_string_pretty(&value).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_escaped_and_codes_are_stable() {
        let err = RunnerError::new(Code::InternalError, "cannot start: \"quoted\" \\ and\nnewline", "Report this.");
        let parsed: serde_json::Value = serde_json::from_str(&err.to_json()).unwrap();
        assert_eq!(parsed["error"]["message"], "cannot start: \"quoted\" \\ and\nnewline");
        assert_eq!(parsed["error"]["code"], "INTERNAL_ERROR");
        assert_eq!(serde_json::json!(Code::ComponentChecksumMismatch), "COMPONENT_CHECKSUM_MISMATCH");
        assert_eq!(Code::Timeout.exit().code(), 7);
        assert_eq!(Code::PortUnavailable.exit().code(), 3);
        assert_eq!(Code::Usage.exit().code(), 2);
    }
}
