//! The runner's own failures (before, around or instead of the component's result), reported in
//! the component's JSON shape with a stable code from the same list as the component's
//! (`agent_auth_contract::code`), each with its exit code.

pub use agent_auth_contract::code::Code;
use agent_auth_contract::exit::Exit;
use agent_auth_contract::printed::Printed;

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
        format!("{}\n", serde_json::to_string_pretty(&self.printed()).unwrap_or_default())
    }

    /// The same object, typed as the component's results are.
    pub fn printed(&self) -> Printed {
        Printed::failure(self.code, self.message.clone(), self.hint.clone())
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
        assert_eq!(err.exit().code(), 1);
    }
}
