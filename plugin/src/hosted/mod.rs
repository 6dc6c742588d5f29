//! A client of a hosted MCP server (a Scalekit instance URL, or a config's server URL with a
//! session token): the URL fixes the user and the tools, so `--get-tool` and `--execute-tool`
//! need no client credentials. [`endpoint`] reads which server, [`session`] speaks streamable
//! HTTP, and this module lists and calls tools and reads their results.

pub mod endpoint;
mod session;

use serde_json::{Value, json};

pub use endpoint::Endpoint;
use session::{INVALID_PARAMS, Refused, Session};

use crate::http::HttpClient;
use crate::output::{Code, Failure};
use crate::scalekit::tools::Tool;

/// The most `tools/list` pages read (a server that keeps sending cursors is cut off there).
const MAX_PAGES: usize = 50;

/// An open session with a hosted MCP server.
pub struct HostedServer<'a> {
    session: Session<'a>,
    /// Origin and path, for messages and results.
    pub shown: &'a str,
}

/// What a tool call gave.
pub enum Called {
    /// The tool's result: `structuredContent`, else its text parsed as JSON, else the text.
    Data(Value),
    /// The tool failed (`isError`): the server's text, and the link it asks a person to open when
    /// it asks for authorization.
    Failed { text: String, link: Option<String> },
}

impl<'a> HostedServer<'a> {
    /// Connects to `endpoint`.
    pub fn connect(http: &'a dyn HttpClient, endpoint: &'a Endpoint) -> Result<HostedServer<'a>, Failure> {
        Ok(HostedServer { session: Session::open(http, endpoint)?, shown: &endpoint.shown })
    }

    /// Every tool the server lists, in its order.
    pub fn tools(&self) -> Result<Vec<Tool>, Failure> {
        let mut tools = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let params = cursor.as_ref().map_or_else(|| json!({}), |c| json!({"cursor": c}));
            let page = self.session.request("tools/list", params).map_err(|r| self.session.failure("tools/list", r))?;
            let listed = page.get("tools").and_then(Value::as_array).into_iter().flatten();
            tools.extend(listed.map(tool));
            cursor = page.get("nextCursor").and_then(Value::as_str).filter(|c| !c.is_empty()).map(str::to_owned);
            if cursor.is_none() {
                break;
            }
        }
        Ok(tools)
    }

    /// Calls `name` with `arguments`, asking for progress (which a server may answer with an SSE stream).
    pub fn call(&self, name: &str, arguments: &Value) -> Result<Called, Failure> {
        let params =
            json!({"name": name, "arguments": arguments, "_meta": {"progressToken": format!("agent-auth-{name}")}});
        let result = self.session.request("tools/call", params).map_err(|refused| match refused {
            Refused::Rpc(e) if e.code == INVALID_PARAMS => Failure::new(
                Code::InvalidToolInput,
                format!("the MCP server at {} refused the call of {name}: {}", self.shown, e.message),
                format!("List the server's tools and their schemas: agent-auth --get-tool --tool-name {name}"),
            ),
            other => self.session.failure("tools/call", other),
        })?;
        Ok(called(&result))
    }
}

/// An MCP tool as the catalogue shows tools. MCP says nothing of providers: that stays empty.
fn tool(listed: &Value) -> Tool {
    let text = |k: &str| listed.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    Tool {
        name: text("name"),
        description: text("description"),
        provider: String::new(),
        input_schema: listed.get("inputSchema").cloned().unwrap_or_else(|| json!({"type": "object"})),
    }
}

/// The text blocks of a result's `content`, joined by newlines.
fn text_of(result: &Value) -> String {
    let blocks = result.get("content").and_then(Value::as_array).into_iter().flatten();
    let texts: Vec<&str> = blocks
        .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
        .filter_map(|b| b.get("text").and_then(Value::as_str))
        .collect();
    texts.join("\n")
}

fn called(result: &Value) -> Called {
    let text = text_of(result);
    if result.get("isError").and_then(Value::as_bool) == Some(true) {
        let link = authorization_link(result, &text);
        return Called::Failed { text, link };
    }
    if let Some(structured) = result.get("structuredContent").filter(|v| !v.is_null()) {
        return Called::Data(structured.clone());
    }
    let only_text = result
        .get("content")
        .and_then(Value::as_array)
        .is_some_and(|c| c.iter().all(|b| b.get("type").and_then(Value::as_str) == Some("text")));
    match serde_json::from_str::<Value>(&text) {
        Ok(data) if only_text => Called::Data(data),
        _ if only_text => Called::Data(Value::String(text)),
        _ => Called::Data(result.get("content").cloned().unwrap_or(Value::Null)),
    }
}

/// Fields of a structured error that hold the link a person opens.
const LINK_FIELDS: [&str; 5] = ["authorization_url", "authentication_link", "auth_link", "link", "url"];
/// Words by which an error's text asks a person to authorize (lower case): not a bare "connect",
/// which a failure to reach an API also says.
const AUTHORIZE_WORDS: [&str; 7] =
    ["authoriz", "authoris", "authenticat", "not connected", "reconnect", "sign in", "log in"];

/// The link an `isError` result asks a person to open: an http(s) URL in one of [`LINK_FIELDS`] of
/// its `structuredContent`, else the first http(s) URL of a text that speaks of authorizing.
fn authorization_link(result: &Value, text: &str) -> Option<String> {
    let is_link = |v: &&str| v.starts_with("https://") || v.starts_with("http://");
    let structured = result.get("structuredContent");
    let field = LINK_FIELDS.iter().find_map(|k| structured?.get(*k)?.as_str().filter(is_link).map(str::to_owned));
    if field.is_some() {
        return field;
    }
    let lower = text.to_lowercase();
    if !AUTHORIZE_WORDS.iter().any(|w| lower.contains(w)) {
        return None;
    }
    let start = text.find("https://").into_iter().chain(text.find("http://")).min()?;
    let url: String = text[start..].chars().take_while(|c| !c.is_whitespace() && !"\"'<>()[]{}".contains(*c)).collect();
    Some(url.trim_end_matches(['.', ',', ';', ':', '!', '?']).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(result: Value) -> (String, Option<String>) {
        match called(&result) {
            Called::Failed { text, link } => (text, link),
            Called::Data(d) => panic!("not a failure: {d}"),
        }
    }

    #[test]
    fn an_error_that_asks_to_authorize_yields_its_link() {
        let text = "Authorization required: gmail is not connected for alice. Open https://env.example/magic/ml_1.";
        let (_, link) = failed(json!({"isError": true, "content": [{"type": "text", "text": text}]}));
        assert_eq!(link.as_deref(), Some("https://env.example/magic/ml_1"));
        let structured =
            json!({"isError": true, "content": [], "structuredContent": {"authorization_url": "https://a.example/x"}});
        assert_eq!(failed(structured).1.as_deref(), Some("https://a.example/x"));
    }

    #[test]
    fn other_errors_carry_no_link() {
        let text = "Page https://notion.so/x was not found";
        assert_eq!(failed(json!({"isError": true, "content": [{"type": "text", "text": text}]})).1, None);
    }

    #[test]
    fn data_is_structured_content_else_the_text() {
        let data = |r: Value| match called(&r) {
            Called::Data(d) => d,
            Called::Failed { text, .. } => panic!("{text}"),
        };
        assert_eq!(
            data(json!({"content": [{"type": "text", "text": "{\"a\":1}"}], "structuredContent": {"b": 2}})),
            json!({"b": 2})
        );
        assert_eq!(data(json!({"content": [{"type": "text", "text": "{\"a\":1}"}]})), json!({"a": 1}));
        assert_eq!(data(json!({"content": [{"type": "text", "text": "plain"}]})), json!("plain"));
        let image = json!([{"type": "image", "data": "AA==", "mimeType": "image/png"}]);
        assert_eq!(data(json!({"content": image})), image);
    }
}
