//! The component's JSON as an MCP tool result: `structuredContent` is the very object the CLI
//! prints, also given as text; a failure is `isError` with, first, a text a person can read
//! (what failed, what to do, and for an authorization the link verbatim and what comes next).

use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::Value;

use crate::error::RunnerError;

/// The result of a call whose component printed `json`.
pub fn from_json(json: Value, tool: &str) -> CallToolResult {
    if json["ok"] == Value::Bool(true) {
        return CallToolResult::structured(json);
    }
    let mut result = CallToolResult::structured_error(json.clone());
    result.content.insert(0, ContentBlock::text(readable(&json, tool)));
    result
}

/// A call the server could not run (bad arguments, a file outside the granted folders): the
/// same shape as the component's failures.
pub fn refused(error: &RunnerError) -> CallToolResult {
    from_json(serde_json::from_str(&error.to_json()).unwrap_or_default(), "")
}

/// What failed and what to do, in sentences.
fn readable(json: &Value, tool: &str) -> String {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let error = &json["error"];
    let mut lines = vec![format!("{} ({}).", text(&error["message"]), text(&error["code"])), text(&error["hint"])];
    let action = &json["action_required"];
    if action.is_object() {
        lines.push(format!("Tell the person: {}", text(&action["message"])));
        if let Some(link) = action["link"].as_str() {
            lines.push(format!("Link (show it exactly as given): {link}"));
        }
        let again = if tool.is_empty() { "the same tool".to_owned() } else { tool.to_owned() };
        lines.push(format!(
            "When they say they are done, call {again} again (or wait_for_authorization with the connection_name)."
        ));
    }
    if let Some(next) = json["next"].as_array() {
        let words: Vec<&str> = next.iter().filter_map(Value::as_str).collect();
        lines.push(format!("The corrected command line, for reference: {}", words.join(" ")));
    }
    lines.retain(|l| !l.is_empty());
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::from_json;

    #[test]
    fn an_authorization_says_what_to_tell_the_person_and_what_to_do_next() {
        let json = json!({"ok": false,
            "error": {"code": "AUTHORIZATION_REQUIRED", "message": "gmail is not connected for alice", "hint": "Show the link."},
            "action_required": {"kind": "authorize", "message": "Open this link to connect gmail.", "link": "https://x/magic/ml_1"}});
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
