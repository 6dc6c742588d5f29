//! The MCP servers behind the URLs the virtual Scalekit hands out (reference §4.9, `mcp.md` §5):
//! an instance URL (`/mcp/v3/instances/{id}?token=...`, pre-authenticated) or a config's server
//! URL (`/mcp/v3/servers/{uuid}` with `Authorization: Bearer <session token>`) serves the config's
//! tools for one user. Streamable HTTP without sessions: each POST carries one JSON-RPC message
//! and is answered with JSON, or with an SSE stream when the client accepts only that or asks for
//! progress on a call. Tools run through the REST API's execution path ([`super::execution::run_tool`]).

use std::time::SystemTime;

use bytes::Bytes;
use serde_json::{Value, json};

use super::execution::{PROVIDER_REFUSAL, Refusal, run_tool};
use super::state::{McpMapping, State, Tool};
use super::wire::json_response;
use super::{Request, Response};

/// The protocol versions answered with themselves; any other `initialize` gets the newest.
const PROTOCOL_VERSIONS: [&str; 3] = ["2025-03-26", "2025-06-18", "2025-11-25"];
/// JSON-RPC error codes.
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;

/// Whom a request acts for, and with which config.
struct Grant {
    user: String,
    config_id: String,
}

/// Answers a request to `/mcp/...`: 404 for no server there, 401 for a credential it does not
/// take, 403 for a request from another origin, 405 for other than POST.
pub fn route(state: &mut State, req: &Request) -> Response {
    let Some(grant) = grant(state, req) else {
        return if known_path(state, &req.path) { unauthorized() } else { not_found() };
    };
    // A page of another site must not reach a server on loopback (DNS rebinding).
    if req.header("origin").is_some_and(|origin| origin != state.base_url) {
        return json_response(
            403,
            json!({"error": "forbidden", "error_description": "requests from another origin are refused"}),
        );
    }
    if let Some(version) = req.header("mcp-protocol-version").filter(|v| !PROTOCOL_VERSIONS.contains(v)) {
        let message =
            format!("unsupported MCP-Protocol-Version {version}; this server speaks {}", PROTOCOL_VERSIONS.join(", "));
        return rpc_reply(req, 400, &Value::Null, Err((INVALID_REQUEST, message)));
    }
    if req.method != "POST" {
        // No server-initiated stream and no sessions to end.
        let mut refused =
            json_response(405, json!({"error": "method_not_allowed", "error_description": "POST a JSON-RPC message"}));
        refused.headers.push(("allow".into(), "POST".into()));
        return refused;
    }
    let message: Value = match serde_json::from_slice(&req.body) {
        Ok(message) => message,
        Err(e) => return rpc_reply(req, 400, &Value::Null, Err((PARSE_ERROR, format!("parse error: {e}")))),
    };
    let method = message.get("method").and_then(Value::as_str);
    let answer = message.get("result").is_some() || message.get("error").is_some();
    let (Some(method), Some(id)) = (method, message.get("id")) else {
        return if message.is_object() && (method.is_some() || answer) {
            // A notification or a response: accepted, nothing to answer.
            Response { status: 202, content_type: String::new(), headers: Vec::new(), body: Bytes::new() }
        } else {
            rpc_reply(
                req,
                400,
                &Value::Null,
                Err((INVALID_REQUEST, "one JSON-RPC request, notification or response per POST".into())),
            )
        };
    };
    let params = message.get("params").cloned().unwrap_or_else(|| json!({}));
    let outcome = match method {
        "initialize" => Ok(initialize(&params)),
        "ping" => Ok(json!({})),
        "tools/list" => {
            Ok(json!({"tools": tools(state, &grant.config_id).iter().map(|(_, t)| listed(t)).collect::<Vec<_>>()}))
        }
        "tools/call" => call(state, &grant, &params),
        other => Err((METHOD_NOT_FOUND, format!("method not found: {other}"))),
    };
    let progress = params.pointer("/_meta/progressToken").filter(|_| method == "tools/call");
    match progress {
        Some(token) if accepts(req, "text/event-stream") => {
            let note = json!({"jsonrpc": "2.0", "method": "notifications/progress",
                "params": {"progressToken": token, "progress": 1, "total": 1, "message": "ran the tool"}});
            sse(vec![note, rpc_message(id, outcome)])
        }
        _ => rpc_reply(req, 200, id, outcome),
    }
}

/// The user and config the request's credential opens, if it opens one.
fn grant(state: &State, req: &Request) -> Option<Grant> {
    if let Some(id) = req.path.strip_prefix("/mcp/v3/instances/") {
        let instance = state.mcp_instances.iter().find(|i| i.id == id)?;
        let token = req.query.iter().find(|(k, _)| k == "token").map(|(_, v)| v.as_str())?;
        return (token == instance.secret)
            .then(|| Grant { user: instance.user_identifier.clone(), config_id: instance.config_id.clone() });
    }
    let config = state
        .mcp_configs
        .iter()
        .find(|c| c.mcp_server_url.ends_with(&req.path) && req.path.starts_with("/mcp/v3/servers/"))?;
    let (scheme, bearer) = req.header("authorization")?.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let now = SystemTime::now();
    let token =
        state.mcp_session_tokens.iter().find(|t| t.token == bearer && t.config_id == config.id && t.expires > now)?;
    Some(Grant { user: token.identifier.clone(), config_id: config.id.clone() })
}

/// Whether `path` is the URL of an instance or a config server (so a refusal is a 401, not a 404).
fn known_path(state: &State, path: &str) -> bool {
    let instance =
        path.strip_prefix("/mcp/v3/instances/").is_some_and(|id| state.mcp_instances.iter().any(|i| i.id == id));
    instance
        || (path.starts_with("/mcp/v3/servers/") && state.mcp_configs.iter().any(|c| c.mcp_server_url.ends_with(path)))
}

/// 401 with `WWW-Authenticate`, so that a client knows to ask for a new credential.
fn unauthorized() -> Response {
    let mut refused = json_response(
        401,
        json!({"error": "invalid_token", "error_description": "the MCP credential is unknown, revoked or expired"}),
    );
    refused.headers.push(("www-authenticate".into(), "Bearer error=\"invalid_token\"".into()));
    refused
}

/// No MCP server at the path.
fn not_found() -> Response {
    json_response(404, json!({"error": "not_found", "error_description": "no MCP server at this URL"}))
}

/// `initialize`: the client's version when it is one of ours, else the newest.
fn initialize(params: &Value) -> Value {
    let asked = params.get("protocolVersion").and_then(Value::as_str).unwrap_or_default();
    let version = PROTOCOL_VERSIONS.iter().find(|v| **v == asked).unwrap_or(&PROTOCOL_VERSIONS[2]);
    json!({
        "protocolVersion": version,
        "capabilities": {"tools": {"listChanged": false}},
        "serverInfo": {"name": "scalekit-mcp (virtual)", "version": env!("CARGO_PKG_VERSION")},
        "instructions": "Tools of one Scalekit MCP config, acting for one user.",
    })
}

/// The config's tools with the mapping that serves each, in mapping order (an empty tool list
/// maps all of the connection's tools; a name two mappings serve is the first one's).
fn tools(state: &State, config_id: &str) -> Vec<(McpMapping, Tool)> {
    let Some(config) = state.mcp_configs.iter().find(|c| c.id == config_id) else { return Vec::new() };
    let mut served: Vec<(McpMapping, Tool)> = Vec::new();
    for mapping in &config.mappings {
        let mapped = state.tools.iter().filter(|t| {
            t.provider == mapping.provider && (mapping.tools.is_empty() || mapping.tools.contains(&t.name))
        });
        for tool in mapped {
            if !served.iter().any(|(_, t)| t.name == tool.name) {
                served.push((mapping.clone(), tool.clone()));
            }
        }
    }
    served
}

/// A tool as `tools/list` shows it.
fn listed(tool: &Tool) -> Value {
    json!({"name": tool.name, "description": tool.description, "inputSchema": tool.input_schema})
}

/// `tools/call {name, arguments}`: the tool for the grant's user, or an `isError` result that
/// says why not (with a fresh authorization link when the person must connect).
fn call(state: &mut State, grant: &Grant, params: &Value) -> Result<Value, (i64, String)> {
    let name =
        params.get("name").and_then(Value::as_str).ok_or((INVALID_PARAMS, "tools/call needs a name".to_owned()))?;
    let arguments = params.get("arguments").cloned().unwrap_or_else(|| json!({}));
    let Some((mapping, tool)) = tools(state, &grant.config_id).into_iter().find(|(_, t)| t.name == name) else {
        return Ok(error_result(format!(
            "tool {name} is not on this MCP server; tools/list names the tools it serves"
        )));
    };
    let user = grant.user.as_str();
    let Some(account) = state.active_account(&mapping.connection_name, user).cloned() else {
        return Ok(authorization_required(state, &mapping, user, "is not connected"));
    };
    match run_tool(state, &tool, &account, &arguments) {
        Ok(run) => {
            let mut result = json!({"content": [{"type": "text", "text": run.data.to_string()}], "isError": false});
            if run.data.is_object() {
                result["structuredContent"] = run.data;
            }
            Ok(result)
        }
        Err(Refusal::Inactive(_)) => Ok(authorization_required(state, &mapping, user, "is not connected")),
        Err(Refusal::ProviderUnauthorized { .. }) => Ok(authorization_required(
            state,
            &mapping,
            user,
            &format!("was refused by the provider ({PROVIDER_REFUSAL})"),
        )),
        Err(Refusal::Invalid(violations)) => {
            let each: Vec<String> = violations
                .iter()
                .map(|v| {
                    format!(
                        "{}: {}",
                        v["field"].as_str().unwrap_or_default(),
                        v["description"].as_str().unwrap_or_default()
                    )
                })
                .collect();
            Ok(error_result(format!("invalid arguments for {name}: {}", each.join("; "))))
        }
        Err(Refusal::Failed { message, .. }) => Ok(error_result(message)),
    }
}

/// An `isError` tool result with one text block.
fn error_result(text: String) -> Value {
    json!({"content": [{"type": "text", "text": text}], "isError": true})
}

/// The `isError` result of a connection the person must authorize: a fresh link for an OAuth
/// connection, the dashboard for the others.
fn authorization_required(state: &mut State, mapping: &McpMapping, user: &str, why: &str) -> Value {
    let connection = mapping.connection_name.as_str();
    let oauth = state.connection(connection).is_some_and(|c| c.kind == "OAUTH");
    let link = if oauth { state.issue_link(connection, user, None) } else { None };
    let text = match link {
        Some((link, _)) => format!(
            "Authorization required: {connection} {why} for {user}. Ask the user to open this link and authorize, then call the tool again: {link}"
        ),
        None => format!("{connection} {why} for {user}; its credentials are entered in the Scalekit dashboard."),
    };
    error_result(text)
}

/// A JSON-RPC response to `id`.
fn rpc_message(id: &Value, outcome: Result<Value, (i64, String)>) -> Value {
    match outcome {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err((code, message)) => json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}),
    }
}

/// The response as JSON, or as one SSE event for a client that accepts only that.
fn rpc_reply(req: &Request, status: u16, id: &Value, outcome: Result<Value, (i64, String)>) -> Response {
    let message = rpc_message(id, outcome);
    // A refused request is answered before any stream: plain JSON with its status.
    if status == 200 && accepts(req, "text/event-stream") && !accepts(req, "application/json") {
        return sse(vec![message]);
    }
    json_response(status, message)
}

/// Whether the `Accept` header names `media` (or `*/*`).
fn accepts(req: &Request, media: &str) -> bool {
    let accept = req.header("accept").unwrap_or_default();
    accept.split(',').map(|m| m.split(';').next().unwrap_or_default().trim()).any(|m| m == media || m == "*/*")
}

/// An SSE stream of `messages`, one `message` event each.
fn sse(messages: Vec<Value>) -> Response {
    let body: String = messages.iter().map(|m| format!("event: message\ndata: {m}\n\n")).collect();
    Response {
        status: 200,
        content_type: "text/event-stream".into(),
        headers: vec![("cache-control".into(), "no-cache".into())],
        body: Bytes::from(body),
    }
}
