//! The one JSON object every call prints on stdout (`docs/cli.md`, "Output"): the component
//! writes it with these types and the runner reads it back with the same ones (the MCP server's
//! results, the verify route's verdict), as it writes its own failures.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::code::Code;

/// A call's result: `ok`, then on a failure `error`, the operation's own fields, what a person
/// must do, and the warnings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Printed {
    /// Whether the call did what it was asked.
    pub ok: bool,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Problem>,
    /// The operation's own fields (a failure's context, or the partial result it interrupts).
    #[serde(flatten)]
    pub fields: Map<String, Value>,
    /// What a person must do before the agent can go on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_required: Option<ActionRequired>,
    /// What the caller should know.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// A failure: a stable code, what went wrong, what to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// The stable code; decides the exit code.
    pub code: Code,
    /// What went wrong.
    pub message: String,
    /// What to do next, in one sentence.
    pub hint: String,
}

/// What a person must do before the agent can go on (`action_required`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActionRequired {
    /// `authorize`, `complete_connection` or `dashboard_account_setup`.
    pub kind: Cow<'static, str>,
    /// One sentence to relay to the person.
    pub message: String,
    /// The authorization link, verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// When the link stops working (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// Every connection's link (`--ensure-mcp-instance`, `--mcp-auth-state`: an empty list when
    /// none has one); absent for an action on one account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<Value>>,
}

impl Printed {
    /// A success with `fields`.
    pub fn success(fields: Map<String, Value>, warnings: Vec<String>) -> Printed {
        Printed { ok: true, error: None, fields, action_required: None, warnings }
    }

    /// A failure with no fields of its own.
    pub fn failure(code: Code, message: impl Into<String>, hint: impl Into<String>) -> Printed {
        let problem = Problem { code, message: message.into(), hint: hint.into() };
        Printed { ok: false, error: Some(problem), fields: Map::new(), action_required: None, warnings: Vec::new() }
    }

    /// What a stdout holds, when it holds one object of this shape.
    pub fn read(stdout: &[u8]) -> Option<Printed> {
        serde_json::from_slice(stdout).ok()
    }

    /// The object as JSON.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_keys_come_in_the_documented_order_and_read_back_the_same() {
        let mut printed = Printed::failure(Code::AuthorizationRequired, "not connected", "Show the link.");
        printed.fields.insert("connection_name".into(), "gmail".into());
        printed.action_required = Some(ActionRequired {
            kind: "authorize".into(),
            message: "Open it.".into(),
            link: Some("https://x/magic/ml_1".into()),
            ..ActionRequired::default()
        });
        let text = serde_json::to_string(&printed).unwrap();
        assert_eq!(
            text,
            r#"{"ok":false,"error":{"code":"AUTHORIZATION_REQUIRED","message":"not connected","hint":"Show the link."},"connection_name":"gmail","action_required":{"kind":"authorize","message":"Open it.","link":"https://x/magic/ml_1"},"warnings":[]}"#
        );
        assert_eq!(Printed::read(text.as_bytes()), Some(printed));
        let success = Printed::success(json!({"tools": []}).as_object().cloned().unwrap(), vec!["w".into()]);
        assert_eq!(success.to_value(), json!({"ok": true, "tools": [], "warnings": ["w"]}));
        assert_eq!(Printed::read(b"not json"), None);
    }
}
