//! The MCP server: `tools/list` is fixed at start, made from the contract's table of tools
//! ([`mcp_tools`]); each `tools/call` becomes the [`Call`] its tool makes of the arguments, run in
//! a fresh instance of the component (one compilation for the whole server), for the one user the
//! server was started for, a bounded number at a time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use agent_auth_contract::call::Call;
use agent_auth_contract::mcp_tools::{self, BadArguments, McpTool};
use agent_auth_contract::operation::{Kind, Remote};
use agent_auth_contract::option::{TOOL_NAME, WAIT};
use agent_auth_contract::printed::Printed;
use agent_auth_contract::variables::{self, REQUESTER, REQUESTER_MAX, REQUESTER_META};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ListToolsResult, PaginatedRequestParams,
    ProgressNotificationParam, ProtocolVersion, RequestMetaObject, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::Value;
use tokio::sync::Semaphore;

use super::reply;
use crate::command_line::Words;
use crate::error::{Code, RunnerError};
use crate::runtime::Stdio;
use crate::setup::{Setup, printed};

/// Calls running at once; more wait their turn.
const IN_FLIGHT: usize = 8;
/// How often a wait reports progress.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// What the server was started with.
pub struct McpServer {
    setup: Arc<Setup>,
    tools: Arc<Vec<Tool>>,
    /// The `--expose`d tools: each one's name and connection.
    exposed: Arc<Vec<(String, String)>>,
    slots: Arc<Semaphore>,
}

/// A Scalekit tool served as a tool of its own, on one connection.
pub struct Exposed {
    /// The connection it runs on.
    pub connection: String,
    /// Its name, description and input schema, as the catalogue has them.
    pub tool: Tool,
}

/// The `--expose`d tools, read from the catalogue once, at start, in one call: their list is
/// fixed for the server's life. A tool the catalogue does not have, or a name given twice,
/// stops the server.
pub async fn expose(setup: &Setup, wanted: &[(String, Vec<String>)]) -> Result<Vec<Exposed>, RunnerError> {
    let names: Vec<&String> = wanted.iter().flat_map(|(_, names)| names).collect();
    if names.is_empty() {
        return Ok(Vec::new());
    }
    for (i, name) in names.iter().enumerate() {
        if mcp_tools::find(name).is_some() || names[..i].contains(name) {
            let message = format!("--expose {name}: a tool of the server, or one exposed already, has that name");
            return Err(RunnerError::new(Code::Usage, message, "Expose each tool once, on one connection."));
        }
    }
    let listing = names.iter().fold(Call::new(Kind::Remote(Remote::GetTool)), |call, n| call.with(&TOOL_NAME, *n));
    let listed =
        printed(setup.invoke(&Words::from(&listing), setup.limits.clone(), Stdio::Memory(bytes::Bytes::new())).await?);
    if let Some(error) = listed.error {
        return Err(RunnerError::new(Code::ToolNotFound, format!("--expose: {}", error.message), error.hint));
    }
    let tools = listed.fields.get("tools").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut exposed = Vec::new();
    for (connection, names) in wanted {
        for name in names {
            let found = tools.iter().find(|t| t["name"] == name.as_str()).ok_or_else(|| {
                RunnerError::new(
                    Code::ToolNotFound,
                    format!("--expose: no tool named {name}"),
                    "Check the name with agent-auth --get-tool --query.",
                )
            })?;
            let schema = found["input_schema"].as_object().cloned().unwrap_or_default();
            let about = found["description"].as_str().unwrap_or_default().to_owned();
            let hints = ToolAnnotations::new().read_only(false).destructive(true).idempotent(false).open_world(true);
            let tool = Tool::new(name.clone(), about, Arc::new(schema)).annotate(hints);
            exposed.push(Exposed { connection: connection.clone(), tool });
        }
    }
    Ok(exposed)
}

/// The server's own tools, as `tools/list` gives them: input and output schemas, annotations.
pub fn meta_tools() -> impl Iterator<Item = Tool> {
    mcp_tools::TOOLS.iter().map(|t| {
        let hints = ToolAnnotations::new()
            .read_only(t.hints.read_only)
            .destructive(t.hints.destructive)
            .idempotent(t.hints.idempotent)
            .open_world(true);
        Tool::new(t.name, t.description, Arc::new(t.input_schema()))
            .with_raw_output_schema(Arc::new(t.output_schema()))
            .annotate(hints)
    })
}

impl McpServer {
    /// A server for the user `setup`'s environment names (its files confined to the folders
    /// `--files` granted), serving the meta tools and then `exposed`.
    pub fn new(setup: Arc<Setup>, exposed: Vec<Exposed>) -> McpServer {
        let names = exposed.iter().map(|e| (e.tool.name.to_string(), e.connection.clone())).collect();
        McpServer {
            setup,
            tools: Arc::new(meta_tools().chain(exposed.into_iter().map(|e| e.tool)).collect()),
            exposed: Arc::new(names),
            slots: Arc::new(Semaphore::new(IN_FLIGHT)),
        }
    }

    /// Runs `call` in a fresh instance, with the variables `extra` (the call's requester), and
    /// reads its result. A call that waits for a person may take its wait and a margin.
    async fn operation(&self, call: &Call, extra: &[(String, String)]) -> Printed {
        let words = Words::from(call);
        let limits = self.setup.limits_for(&words);
        match self.setup.invoke_with(&words, extra, limits, Stdio::Memory(bytes::Bytes::new())).await {
            Ok(outcome) => printed(outcome),
            Err(e) => e.printed(),
        }
    }
}

/// The call's requester from its `_meta` ([`REQUESTER_META`]), as the variable the component
/// records ([`REQUESTER`]), replacing the runner's own: one line of text, or the call is refused.
fn requester(meta: &RequestMetaObject) -> Result<Vec<(String, String)>, McpError> {
    let given = match meta.get(REQUESTER_META) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(given) => given,
    };
    match given.as_str().and_then(variables::requester) {
        Some(who) => Ok(vec![(REQUESTER.to_owned(), who.to_owned())]),
        None => Err(McpError::invalid_params(
            format!("_meta {REQUESTER_META} must be one line of text, at most {REQUESTER_MAX} bytes"),
            Some(
                serde_json::json!({"code": Code::Usage, "hint": "Name the requester as the agent host does, e.g. telegram:1001."}),
            ),
        )),
    }
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_protocol_version(ProtocolVersion::LATEST)
            .with_server_info(Implementation::new("agent-auth", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Scalekit's tools for one user. Find a tool with search_tools, run it with execute_tool. \
                 When a result asks a person to authorize, show them the link exactly as given and call the tool \
                 again (or wait_for_authorization) once they are done.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(self.tools.as_ref().clone()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let args = request.arguments.clone().unwrap_or_default();
        let extra = requester(&context.meta)?;
        let exposed = self.exposed.iter().find(|(name, _)| *name == request.name);
        let call = match (mcp_tools::find(&request.name), exposed) {
            (Some(tool), _) => McpTool::call(tool, &args),
            (None, Some((name, connection))) => Ok(mcp_tools::exposed_call(name, &args, connection)),
            (None, None) => return Err(McpError::invalid_params(format!("no tool named {}", request.name), None)),
        };
        let call = match call {
            Ok(call) => call,
            Err(BadArguments(why)) => {
                let hint = "Pass the arguments the tool's input schema names.";
                return Ok(reply::refused(&RunnerError::new(Code::Usage, why, hint)).into());
            }
        };

        let ticker = context.meta.get_progress_token().filter(|_| call.value(&WAIT).is_some()).map(|token| {
            let peer = context.peer.clone();
            tokio::spawn(async move {
                let started = Instant::now();
                loop {
                    tokio::time::sleep(PROGRESS_EVERY).await;
                    let waited = started.elapsed().as_secs_f64();
                    let note = ProgressNotificationParam::new(token.clone(), waited)
                        .with_message(format!("waiting for the person to authorize ({waited:.0} s)"));
                    let _ = peer.notify_progress(note).await;
                }
            })
        });
        // Aborted when the call ends, however it ends.
        let _ticker = ticker.map(|t| AbortOnDrop(t.abort_handle()));
        let run = async {
            let _slot = self.slots.acquire().await;
            reply::from_printed(&self.operation(&call, &extra).await, &request.name)
        };
        tokio::select! {
            result = run => Ok(result.into()),
            () = context.ct.cancelled() => Err(McpError::internal_error("cancelled", None)),
        }
    }
}
