//! The tool catalogue (`GET /api/v1/tools`) and tool execution (`POST /api/v1/execute_tool`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{ApiError, Scalekit};

/// A catalogue query.
#[derive(Debug, Default)]
pub struct ToolQuery {
    /// `filter.provider`, upper case.
    pub provider: Option<String>,
    /// `filter.tool_name`, repeated.
    pub names: Vec<String>,
    /// `filter.query`, free text.
    pub query: Option<String>,
    /// `page_size`.
    pub page_size: Option<u32>,
    /// `page_token`.
    pub page_token: Option<String>,
}

#[derive(Deserialize)]
struct RawTool {
    #[serde(default)]
    provider: String,
    #[serde(default)]
    definition: Map<String, Value>,
}

#[derive(Deserialize)]
struct RawPage {
    #[serde(default)]
    tools: Vec<RawTool>,
    #[serde(default)]
    next_page_token: String,
    #[serde(default)]
    total_size: u64,
}

/// A tool as agents see it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Tool {
    /// e.g. `notion_page_get`.
    pub name: String,
    /// What it does.
    pub description: String,
    /// e.g. `NOTION`.
    pub provider: String,
    /// The JSON Schema of `--tool-input`.
    pub input_schema: Value,
}

/// One page of the catalogue.
#[derive(Debug)]
pub struct ToolPage {
    /// The tools on this page.
    pub tools: Vec<Tool>,
    /// Pass to `--page-token` for the next page; empty at the end.
    pub next_page_token: String,
    /// Matches in all pages.
    pub total_size: u64,
}

/// Lists tools matching `q`.
pub fn list(sk: &Scalekit, q: &ToolQuery) -> Result<ToolPage, ApiError> {
    let mut query: Vec<(&str, String)> = Vec::new();
    if let Some(p) = &q.provider {
        query.push(("filter.provider", p.clone()));
    }
    for name in &q.names {
        query.push(("filter.tool_name", name.clone()));
    }
    if let Some(text) = &q.query {
        query.push(("filter.query", text.clone()));
    }
    if let Some(n) = q.page_size {
        query.push(("page_size", n.to_string()));
    }
    if let Some(t) = q.page_token.as_ref().filter(|t| !t.is_empty()) {
        query.push(("page_token", t.clone()));
    }
    let raw: RawPage = sk.get("/api/v1/tools", &query, "tool listing")?;
    let text = |d: &Map<String, Value>, k: &str| d.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    Ok(ToolPage {
        tools: raw
            .tools
            .into_iter()
            .map(|t| Tool {
                name: text(&t.definition, "name"),
                description: text(&t.definition, "description"),
                provider: t.provider,
                input_schema: t.definition.get("input_schema").cloned().unwrap_or_else(|| json!({})),
            })
            .collect(),
        next_page_token: raw.next_page_token,
        total_size: raw.total_size,
    })
}

/// The result of a tool execution.
#[derive(Debug, Deserialize)]
pub struct Execution {
    /// The tool's output.
    #[serde(default)]
    pub data: Value,
    /// Scalekit's id for this execution (for its logs).
    #[serde(default)]
    pub execution_id: String,
}

/// Executes `tool_name` for a connected account. The input travels as `params`; `agent_run_id`
/// (when given) correlates the call in Scalekit's tool logs.
pub fn execute(
    sk: &Scalekit,
    tool_name: &str,
    identifier: &str,
    connected_account_id: &str,
    params: &Value,
    agent_run_id: Option<&str>,
) -> Result<Execution, ApiError> {
    let mut body = json!({
        "tool_name": tool_name,
        "identifier": identifier,
        "connected_account_id": connected_account_id,
        "params": params,
    });
    if let Some(run_id) = agent_run_id {
        body["agent_run_id"] = json!(run_id);
    }
    sk.post("/api/v1/execute_tool", &body, "tool result")
}
