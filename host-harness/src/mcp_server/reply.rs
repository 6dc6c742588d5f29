//! The component's result ([`Printed`]) as an MCP tool result: `structuredContent` is the very object the CLI
//! prints, also given as text; a failure is `isError` with, first, a text a person can read
//! (what failed, what to do, and for an authorization the link verbatim and what comes next).

use agent_auth_contract::printed::Printed;
use rmcp::model::{CallToolResult, ContentBlock};

use crate::error::RunnerError;

/// The result of a call whose component printed `printed`.
pub fn from_printed(printed: &Printed, tool: &str) -> CallToolResult {
    if printed.ok {
        return CallToolResult::structured(printed.to_value());
    }
    let mut result = CallToolResult::structured_error(printed.to_value());
    result.content.insert(0, ContentBlock::text(readable(printed, tool)));
    result
}

/// A call the server could not run (bad arguments, a file outside the granted folders): the
/// same shape as the component's failures.
pub fn refused(error: &RunnerError) -> CallToolResult {
    from_printed(&error.printed(), "")
}

/// What failed and what to do, in sentences.
fn readable(printed: &Printed, tool: &str) -> String {
    let mut lines = Vec::new();
    if let Some(error) = &printed.error {
        lines.push(format!("{} ({}).", error.message, error.code.name()));
        lines.push(error.hint.clone());
    }
    if let Some(action) = &printed.action_required {
        lines.push(format!("Tell the person: {}", action.message));
        if let Some(link) = &action.link {
            lines.push(format!("Link (show it exactly as given): {link}"));
        }
        let again = if tool.is_empty() { "the same tool".to_owned() } else { tool.to_owned() };
        lines.push(format!(
            "When they say they are done, call {again} again (or wait_for_authorization with the connection_name)."
        ));
    }
    if let Some(next) = printed.fields.get("next").and_then(|n| n.as_array()) {
        let words: Vec<&str> = next.iter().filter_map(|w| w.as_str()).collect();
        lines.push(format!("The corrected command line, for reference: {}", words.join(" ")));
    }
    lines.retain(|l| !l.is_empty());
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use agent_auth_contract::printed::Printed;
    use serde_json::json;

    use super::from_printed;

    fn from_json(json: serde_json::Value, tool: &str) -> rmcp::model::CallToolResult {
        from_printed(&serde_json::from_value::<Printed>(json).unwrap(), tool)
    }

    #[test]
    fn an_authorization_says_what_to_tell_the_person_and_what_to_do_next() {
        let json = json!({"ok": false,
            "error": {"code": "AUTHORIZATION_REQUIRED", "message": "gmail is not connected for alice", "hint": "Show the link."},
            "action_required": {"kind": "authorize", "message": "Open this link to connect gmail.", "link": "https://x/magic/ml_1"},
            "warnings": []});
        let result = from_json(json.clone(), "execute_tool");
        assert_eq!(result.is_error, Some(true));
        assert_eq!(result.structured_content, Some(json));
        let text = serde_json::to_value(&result.content[0]).unwrap()["text"].as_str().unwrap().to_owned();
        assert!(text.contains("Link (show it exactly as given): https://x/magic/ml_1"), "{text}");
        assert!(text.contains("call execute_tool again"), "{text}");
    }

    #[test]
    fn a_success_is_the_cli_object() {
        let json = json!({"ok": true, "tools": [], "warnings": []});
        let result = from_json(json.clone(), "search_tools");
        assert_eq!((result.is_error, result.structured_content), (Some(false), Some(json)));
    }
}
