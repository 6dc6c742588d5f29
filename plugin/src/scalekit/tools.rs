//! The tool catalogue (`GET /api/v1/tools`) and tool execution (`POST /api/v1/execute_tool`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::pages::{Listing, Pages};
use super::{ApiError, Scalekit};

/// A catalogue query.
#[derive(Debug, Default)]
pub struct ToolQuery {
    /// `filter.provider`, upper case.
    pub provider: Option<String>,
    /// `filter.tool_name`, repeated.
    pub names: Vec<String>,
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
    /// e.g. `NOTION`; empty for a hosted MCP server's tool (MCP names no provider).
    #[serde(default, skip_serializing_if = "String::is_empty")]
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
    if let Some(n) = q.page_size {
        query.push(("page_size", n.to_string()));
    }
    if let Some(t) = q.page_token.as_ref().filter(|t| !t.is_empty()) {
        query.push(("page_token", t.clone()));
    }
    let raw: RawPage = sk.get(TOOLS_PATH, &query, LISTING)?;
    Ok(ToolPage {
        tools: raw.tools.into_iter().map(RawTool::into_tool).collect(),
        next_page_token: raw.next_page_token,
        total_size: raw.total_size,
    })
}

/// Every tool of `provider`, from every page.
pub fn all_of(sk: &Scalekit, provider: &str) -> Result<Vec<Tool>, ApiError> {
    let query = vec![("filter.provider", provider.to_owned()), ("page_size", PAGE_MAX.to_string())];
    Ok(Pages::<RawPage>::new(sk, TOOLS_PATH, query, LISTING).all()?.into_iter().map(RawTool::into_tool).collect())
}

/// Where the catalogue is read.
const TOOLS_PATH: &str = "/api/v1/tools";
/// The catalogue in messages.
const LISTING: &str = "tool listing";
/// Scalekit's largest tool page.
const PAGE_MAX: u64 = agent_auth_contract::option::TOOLS_PAGE_MAX;

impl RawTool {
    fn into_tool(self) -> Tool {
        let text = |k: &str| self.definition.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        Tool {
            name: text("name"),
            description: text("description"),
            input_schema: self.definition.get("input_schema").cloned().unwrap_or_else(|| json!({})),
            provider: self.provider,
        }
    }
}

impl Listing for RawPage {
    type Item = RawTool;
    fn into_parts(self) -> (Vec<RawTool>, String) {
        (self.tools, self.next_page_token)
    }
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

/// Executes a tool for a connected account; the input travels as `params`.
pub fn execute(sk: &Scalekit, request: &ExecuteRequest) -> Result<Execution, ApiError> {
    sk.post(EXECUTE_PATH, &request.body(), "tool result")
}

/// Where executions are sent.
pub const EXECUTE_PATH: &str = "/api/v1/execute_tool";

/// One execution, as sent.
pub struct ExecuteRequest<'a> {
    /// The tool.
    pub tool_name: &'a str,
    /// The user.
    pub identifier: &'a str,
    /// Their account on the tool's connection.
    pub connected_account_id: &'a str,
    /// The tool input.
    pub params: &'a Value,
    /// Correlates the call in Scalekit's tool logs.
    pub agent_run_id: Option<&'a str>,
}

impl ExecuteRequest<'_> {
    /// The JSON body (what `--dry-run` shows).
    pub fn body(&self) -> Value {
        let mut body = json!({
            "tool_name": self.tool_name,
            "identifier": self.identifier,
            "connected_account_id": self.connected_account_id,
            "params": self.params,
        });
        if let Some(run_id) = self.agent_run_id {
            body["agent_run_id"] = json!(run_id);
        }
        body
    }
}
