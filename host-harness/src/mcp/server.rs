//! The MCP server: `tools/list` is fixed at start; each `tools/call` runs the operation its tool
//! names in a fresh instance of the component (one compilation for the whole server), for the
//! one user the server was started for, a bounded number at a time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use agent_auth_contract::variables::{self, REQUESTER, REQUESTER_MAX, REQUESTER_META};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation, ListToolsResult, PaginatedRequestParams,
    ProgressNotificationParam, ProtocolVersion, RequestMetaObject, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::{Map, Value};
use tokio::sync::Semaphore;

use super::reply;
use super::tools::{self, Command, META_TOOLS};
use crate::error::{Code, RunnerError};
use crate::runner::{Setup, WAIT_MARGIN, report};
use crate::runtime::Stdio;

/// Calls running at once; more wait their turn.
const IN_FLIGHT: usize = 8;
/// How often a wait reports progress.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// What the server was started with.
pub struct Server {
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
        if META_TOOLS.iter().any(|t| t.name == name.as_str()) || names[..i].contains(name) {
            let message = format!("--expose {name}: a tool of the server, or one exposed already, has that name");
            return Err(RunnerError::new(Code::Usage, message, "Expose each tool once, on one connection."));
        }
    }
    let mut argv = vec!["--get-tool".to_owned()];
    argv.extend(names.iter().map(|n| format!("--tool-name={n}")));
    let (stdout, _) = report(setup.invoke(&argv, setup.limits.clone(), Stdio::Memory(bytes::Bytes::new())).await?);
    let listed: Value = serde_json::from_str(&stdout).unwrap_or_default();
    if listed["ok"] != Value::Bool(true) {
        let message = listed["error"]["message"].as_str().unwrap_or("the catalogue could not be read").to_owned();
        let hint =
            listed["error"]["hint"].as_str().unwrap_or("Check --expose against agent-auth --get-tool.").to_owned();
        return Err(RunnerError::new(Code::ToolNotFound, format!("--expose: {message}"), hint));
    }
    let tools = listed["tools"].as_array().cloned().unwrap_or_default();
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
    META_TOOLS.iter().map(|t| {
        let hints = ToolAnnotations::new()
            .read_only(t.hints.read_only)
            .destructive(t.hints.destructive)
            .idempotent(t.hints.idempotent)
            .open_world(true);
        Tool::new(t.name, t.description, Arc::new(tools::input_schema(t)))
            .with_raw_output_schema(Arc::new(tools::output_schema(t)))
            .annotate(hints)
    })
}

impl Server {
    /// A server for the user `setup`'s environment names (its files confined to the folders
    /// `--files` granted), serving the meta tools and then `exposed`.
    pub fn new(setup: Arc<Setup>, exposed: Vec<Exposed>) -> Server {
        let names = exposed.iter().map(|e| (e.tool.name.to_string(), e.connection.clone())).collect();
        Server {
            setup,
            tools: Arc::new(meta_tools().chain(exposed.into_iter().map(|e| e.tool)).collect()),
            exposed: Arc::new(names),
            slots: Arc::new(Semaphore::new(IN_FLIGHT)),
        }
    }

    /// Runs `argv` in a fresh instance, with the variables `extra` (the call's requester), and
    /// reads its JSON.
    async fn operation(&self, argv: Vec<String>, extra: &[(String, String)], wait: Option<u64>) -> Value {
        let mut limits = self.setup.limits.clone();
        if let Some(seconds) = wait {
            limits.wall_clock = limits.wall_clock.max(Duration::from_secs(seconds).saturating_add(WAIT_MARGIN));
        }
        let (stdout, _) = match self.setup.invoke_with(&argv, extra, limits, Stdio::Memory(bytes::Bytes::new())).await {
            Ok(outcome) => report(outcome),
            Err(e) => (e.to_json(), 1),
        };
        serde_json::from_str(&stdout).unwrap_or_else(|_| {
            serde_json::json!({"ok": false, "error": {"code": "INTERNAL_ERROR",
                "message": "the component printed no result", "hint": "Report this with the tool call."}})
        })
    }

    /// The result of the meta tool `name`, run with the variables `extra`.
    async fn call(
        &self,
        name: &str,
        args: &Map<String, Value>,
        command: Command,
        extra: &[(String, String)],
    ) -> CallToolResult {
        let wait = (name == "wait_for_authorization").then(|| tools::wait_seconds(args).ok()).flatten();
        let json = match command {
            Command::Run(argv) => self.operation(argv, extra, wait).await,
            Command::ByProvider(provider) => {
                let listed = self
                    .operation(vec!["--list-connections".into(), format!("--provider={provider}")], extra, None)
                    .await;
                match listed["selected"].as_str() {
                    Some(selected) => {
                        let argv = vec!["--generate-link".into(), format!("--connection-name={selected}")];
                        self.operation(argv, extra, None).await
                    }
                    None => listed,
                }
            }
        };
        reply::from_json(json, name)
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

impl ServerHandler for Server {
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
        let command = match tools::command(&request.name, &args) {
            Ok(Some(command)) => command,
            Ok(None) => match exposed {
                Some((name, connection)) => {
                    Command::Run(tools::execute(name, &Value::Object(args.clone()), Some(connection)))
                }
                None => return Err(McpError::invalid_params(format!("no tool named {}", request.name), None)),
            },
            Err(bad) => {
                let hint = "Pass the arguments the tool's input schema names.";
                return Ok(reply::refused(&RunnerError::new(Code::Usage, bad.0, hint)).into());
            }
        };

        let ticker =
            context.meta.get_progress_token().filter(|_| request.name == "wait_for_authorization").map(|token| {
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
            self.call(&request.name, &args, command, &extra).await
        };
        tokio::select! {
            result = run => Ok(result.into()),
            () = context.ct.cancelled() => Err(McpError::internal_error("cancelled", None)),
        }
    }
}
