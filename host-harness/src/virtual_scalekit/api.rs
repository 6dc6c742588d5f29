//! The REST routes, answered from [`State`].

use std::time::SystemTime;

use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::schema;
use super::state::{Account, Auth, State, rfc3339};
use super::{Request, Response};

/// Largest `page_size` of `GET /api/v1/connections/app` (buf.validate `lte: 30`).
const CONNECTIONS_MAX_PAGE: usize = 30;
const DEFAULT_PAGE: usize = 10;

fn json_response(status: u16, body: Value) -> Response {
    Response { status, content_type: "application/json".into(), headers: Vec::new(), body: Bytes::from(body.to_string()) }
}

fn grpc_code(status: u16) -> u32 {
    match status {
        400 => 3,
        401 => 16,
        403 => 7,
        404 => 5,
        409 => 6,
        429 => 8,
        _ => 13,
    }
}

/// A grpc-gateway error: `{code, message, details: [ErrorInfo]}`.
fn gateway_error(status: u16, message: &str, error_code: &str, extra: Option<(&str, Value)>) -> Response {
    let mut info = json!({"@type": "type.googleapis.com/scalekit.v1.errdetails.ErrorInfo", "error_code": error_code});
    if let Some((k, v)) = extra {
        info[k] = v;
    }
    json_response(status, json!({"code": grpc_code(status), "message": message, "details": [info]}))
}

fn invalid(violations: Vec<Value>) -> Response {
    let message = violations
        .iter()
        .map(|v| format!("{}: {}", v["field"].as_str().unwrap_or(""), v["description"].as_str().unwrap_or("")))
        .collect::<Vec<_>>()
        .join("; ");
    gateway_error(400, &format!("validation error: {message}"), "INVALID_ARGUMENT", Some(("validation_error_info", json!({"field_violations": violations}))))
}

/// The proxy layer's error shape: `{detail, code}`.
fn proxy_error(status: u16, detail: &str, code: &str) -> Response {
    json_response(status, json!({"detail": detail, "code": code}))
}

/// Decodes a JSON body, rejecting fields the request message does not have (protojson's default).
fn body_fields(req: &Request, allowed: &[&str]) -> Result<Map<String, Value>, Response> {
    let value: Value = serde_json::from_slice(&req.body)
        .map_err(|e| gateway_error(400, &format!("proto: syntax error: {e}"), "INVALID_ARGUMENT", None))?;
    let Value::Object(map) = value else {
        return Err(gateway_error(400, "proto: request body must be a JSON object", "INVALID_ARGUMENT", None));
    };
    if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(gateway_error(400, &format!("proto: unknown field \"{unknown}\""), "INVALID_ARGUMENT", None));
    }
    Ok(map)
}

fn text<'a>(map: &'a Map<String, Value>, key: &str) -> &'a str {
    map.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn page_size(req: &Request, max: usize) -> Result<usize, Response> {
    match req.query_value("page_size") {
        None | Some("") | Some("0") => Ok(DEFAULT_PAGE.min(max)),
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if n <= max => Ok(n),
            Ok(_) => Err(invalid(vec![schema::violation("page_size", format!("value must be less than or equal to {max}"), "uint32.lte")])),
            Err(_) => Err(gateway_error(400, &format!("invalid value for page_size: {raw}"), "INVALID_ARGUMENT", None)),
        },
    }
}

/// Pages through `items` with opaque offset tokens.
fn paginate<T: Clone>(items: &[T], size: usize, token: Option<&str>) -> Result<(Vec<T>, String, String), Response> {
    let start = match token.filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => t.strip_prefix("pt_").and_then(|n| n.parse::<usize>().ok()).filter(|n| *n <= items.len())
            .ok_or_else(|| gateway_error(400, "invalid page_token", "INVALID_ARGUMENT", None))?,
    };
    let end = (start + size).min(items.len());
    let next = if end < items.len() { format!("pt_{end}") } else { String::new() };
    let prev = if start > 0 { format!("pt_{}", start.saturating_sub(size)) } else { String::new() };
    Ok((items[start..end].to_vec(), next, prev))
}

/// Dispatches one request.
pub fn route(state: &mut State, req: &Request) -> Response {
    let path = req.path.as_str();
    if req.method == "POST" && path == "/oauth/token" {
        return token(state, req);
    }
    let is_proxy = path == "/proxy" || path.starts_with("/proxy/");
    if !path.starts_with("/api/v1/") && !is_proxy {
        return json_response(404, json!({"code": 5, "message": "Not Found", "details": []}));
    }
    let bearer = req.header("authorization").and_then(|h| h.strip_prefix("Bearer ")).unwrap_or_default();
    if !state.issued_tokens.iter().any(|t| t == bearer) {
        return if is_proxy {
            proxy_error(401, "invalid token", "UNAUTHORIZED")
        } else if bearer.is_empty() {
            gateway_error(401, "Token empty", "UNAUTHENTICATED", None)
        } else {
            gateway_error(401, "Invalid token", "UNAUTHENTICATED", None)
        };
    }
    if is_proxy {
        return proxy(state, req);
    }
    let result = match (req.method.as_str(), path) {
        ("GET", "/api/v1/connections/app") => list_connections(state, req),
        ("GET", "/api/v1/connected_accounts/details") => get_account(state, req, false),
        ("GET", "/api/v1/connected_accounts/auth") => get_account(state, req, true),
        ("POST", "/api/v1/connected_accounts") => create_account(state, req),
        ("POST", "/api/v1/connected_accounts/magic_link") => magic_link(state, req),
        ("GET", "/api/v1/tools") => list_tools(state, req),
        ("POST", "/api/v1/execute_tool") => execute_tool(state, req),
        _ => Err(json_response(404, json!({"code": 5, "message": "Not Found", "details": []}))),
    };
    result.unwrap_or_else(|e| e)
}

fn token(state: &mut State, req: &Request) -> Response {
    let form: Vec<(String, String)> = super::server::parse_query(&String::from_utf8_lossy(&req.body));
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap_or_default();
    let oauth_error = |status, error: &str, description: &str| json_response(status, json!({"error": error, "error_description": description}));
    if field("grant_type") != "client_credentials" {
        return oauth_error(400, "unsupported_grant_type", "grant_type must be client_credentials");
    }
    let (id, secret) = (field("client_id"), field("client_secret"));
    let accepted = match &state.credentials {
        Some(c) => c.client_id == id && c.client_secret == secret,
        None => !id.is_empty() && !secret.is_empty(),
    };
    if !accepted {
        return oauth_error(401, "invalid_client", "client authentication failed");
    }
    let n = state.issued_tokens.len() + 1;
    let token = format!("eyJhbGciOiJSUzI1NiJ9.virtual-scalekit-{n:04}.{}", state.next_id("sig"));
    state.issued_tokens.push(token.clone());
    json_response(200, json!({"access_token": token, "token_type": "Bearer", "expires_in": 86399, "scope": "openid"}))
}

fn list_connections(state: &mut State, req: &Request) -> Result<Response, Response> {
    let size = page_size(req, CONNECTIONS_MAX_PAGE)?;
    let provider = req.query_value("provider").filter(|p| !p.is_empty());
    let matching: Vec<Value> = state
        .connections
        .iter()
        .filter(|c| provider.is_none_or(|p| c.provider_key.eq_ignore_ascii_case(p)))
        .map(|c| c.to_json())
        .collect();
    let (page, next, prev) = paginate(&matching, size, req.query_value("page_token"))?;
    Ok(json_response(200, json!({"connections": page, "next_page_token": next, "prev_page_token": prev, "total_size": matching.len()})))
}

fn account_key(req: &Request) -> Result<(String, String), Response> {
    let connector = req.query_value("connector").unwrap_or_default();
    let identifier = req.query_value("identifier").unwrap_or_default();
    let mut violations = Vec::new();
    if connector.is_empty() {
        violations.push(schema::violation("connector", "value is required".into(), "required"));
    }
    if identifier.is_empty() {
        violations.push(schema::violation("identifier", "value is required".into(), "required"));
    }
    if violations.is_empty() { Ok((connector.to_owned(), identifier.to_owned())) } else { Err(invalid(violations)) }
}

fn get_account(state: &mut State, req: &Request, with_secrets: bool) -> Result<Response, Response> {
    let (connector, identifier) = account_key(req)?;
    let account = state
        .account_index(&connector, &identifier)
        .map(|i| &state.accounts[i])
        .ok_or_else(|| gateway_error(404, "connected account not found", "NOT_FOUND", None))?;
    Ok(json_response(200, json!({"connected_account": account.to_json(with_secrets)})))
}

fn new_account(state: &mut State, connector: &str, identifier: &str) -> Result<usize, Response> {
    let connection = state.connection(connector).cloned().ok_or_else(|| gateway_error(404, "connection not found", "NOT_FOUND", None))?;
    let id = state.next_id("ca");
    let authorization_type = match connection.kind {
        "OAUTH" => "OAUTH",
        "API_KEY" => "API_KEY",
        "BEARER" => "BEARER_TOKEN",
        "BASIC" => "BASIC_AUTH",
        _ => "CUSTOM",
    };
    state.accounts.push(Account {
        id,
        connector: connector.into(),
        identifier: identifier.into(),
        provider: connection.provider_key.to_lowercase(),
        connection_id: connection.id,
        status: "PENDING_AUTH",
        authorization_type,
        token_expires_at: None,
        updated_at: rfc3339(SystemTime::now()),
        auth: Auth::None,
    });
    Ok(state.accounts.len() - 1)
}

fn create_account(state: &mut State, req: &Request) -> Result<Response, Response> {
    let body = body_fields(req, &["connector", "identifier", "organization_id", "user_id", "connected_account"])?;
    let (connector, identifier) = (text(&body, "connector"), text(&body, "identifier"));
    let mut violations = Vec::new();
    if connector.is_empty() {
        violations.push(schema::violation("connector", "value is required".into(), "required"));
    }
    if identifier.is_empty() {
        violations.push(schema::violation("identifier", "value is required".into(), "required"));
    }
    if !body.get("connected_account").is_some_and(Value::is_object) {
        violations.push(schema::violation("connected_account", "value is required".into(), "required"));
    }
    if !violations.is_empty() {
        return Err(invalid(violations));
    }
    if state.account_index(connector, identifier).is_some() {
        return Err(gateway_error(409, "connected account already exists", "ALREADY_EXISTS", None));
    }
    let index = new_account(state, connector, identifier)?;
    Ok(json_response(201, json!({"connected_account": state.accounts[index].to_json(false)})))
}

fn magic_link(state: &mut State, req: &Request) -> Result<Response, Response> {
    let body = body_fields(req, &["connector", "identifier", "id", "organization_id", "user_id", "state", "user_verify_url"])?;
    let (connector, identifier) = (text(&body, "connector").to_owned(), text(&body, "identifier").to_owned());
    if connector.is_empty() || identifier.is_empty() {
        return Err(invalid(vec![schema::violation("connector", "connector and identifier are required".into(), "required")]));
    }
    let connection = state.connection(&connector).cloned().ok_or_else(|| gateway_error(404, "connection not found", "NOT_FOUND", None))?;
    if connection.kind != "OAUTH" {
        return Err(gateway_error(400, "authorization links exist only for OAuth connections", "FAILED_PRECONDITION", None));
    }
    if state.account_index(&connector, &identifier).is_none() {
        new_account(state, &connector, &identifier)?;
    }
    let token = state.next_id("ml");
    let expires = SystemTime::now() + state.link_lifetime;
    state.links.push(super::state::MagicLink { token: token.clone(), connector, identifier, expires, used: false });
    Ok(json_response(200, json!({"link": format!("{}/magic/{token}", state.base_url), "expiry": rfc3339(expires)})))
}

fn list_tools(state: &mut State, req: &Request) -> Result<Response, Response> {
    let size = page_size(req, 100)?;
    let provider = req.query_value("filter.provider").filter(|p| !p.is_empty());
    let names: Vec<&str> = req.query.iter().filter(|(k, _)| k == "filter.tool_name").map(|(_, v)| v.as_str()).collect();
    let query = req.query_value("filter.query").map(str::to_lowercase);
    if let Some(q) = &query {
        if !(3..=100).contains(&q.chars().count()) {
            return Err(invalid(vec![schema::violation("filter.query", "value length must be between 3 and 100 characters".into(), "string.len")]));
        }
    }
    let matching: Vec<Value> = state
        .tools
        .iter()
        .filter(|t| provider.is_none_or(|p| t.provider == p))
        .filter(|t| names.is_empty() || names.contains(&t.name.as_str()))
        .filter(|t| {
            query.as_ref().is_none_or(|q| {
                let haystack = format!("{} {}", t.name, t.description).to_lowercase();
                q.split_whitespace().all(|word| haystack.contains(word))
            })
        })
        .map(|t| t.to_json())
        .collect();
    let (page, next, prev) = paginate(&matching, size, req.query_value("page_token"))?;
    Ok(json_response(200, json!({"tools": page, "tool_names": [], "next_page_token": next, "prev_page_token": prev, "total_size": matching.len()})))
}

fn execute_tool(state: &mut State, req: &Request) -> Result<Response, Response> {
    let body = body_fields(
        req,
        &["tool_name", "params", "connected_account_id", "connector", "identifier", "organization_id", "user_id", "agent_run_id"],
    )?;
    let tool_name = text(&body, "tool_name");
    if tool_name.is_empty() {
        return Err(invalid(vec![schema::violation("tool_name", "value is required".into(), "required")]));
    }
    let tool = state.tools.iter().find(|t| t.name == tool_name).cloned().ok_or_else(|| gateway_error(404, "tool not found", "NOT_FOUND", None))?;
    let account = match text(&body, "connected_account_id") {
        "" => state.account_index(text(&body, "connector"), text(&body, "identifier")),
        id => state.accounts.iter().position(|a| a.id == id),
    }
    .map(|i| state.accounts[i].clone())
    .ok_or_else(|| gateway_error(404, "connected account not found", "NOT_FOUND", None))?;
    if !text(&body, "identifier").is_empty() && text(&body, "identifier") != account.identifier {
        return Err(gateway_error(400, "identifier does not match the connected account", "INVALID_ARGUMENT", None));
    }
    let provider_matches = state.connection(&account.connector).is_some_and(|c| c.provider_key == tool.provider);
    if !provider_matches {
        return Err(gateway_error(400, &format!("{} is not a tool of the account's provider", tool.name), "FAILED_PRECONDITION", None));
    }
    if account.status != "ACTIVE" {
        return Err(gateway_error(400, &format!("connected account is {}", account.status), "FAILED_PRECONDITION", None));
    }
    let params = body.get("params").cloned().unwrap_or_else(|| json!({}));
    let mut violations = Vec::new();
    schema::validate(&params, &tool.input_schema, "params", &mut violations);
    if !violations.is_empty() {
        return Err(invalid(violations));
    }
    let execution_id = state.next_id("exec");
    Ok(json_response(200, json!({"data": tool.result, "execution_id": execution_id})))
}

/// `{METHOD} /proxy{path}`: Scalekit's checks, then the provider's answer.
fn proxy(state: &mut State, req: &Request) -> Response {
    let connector = req.header("connection_name").unwrap_or_default();
    let identifier = req.header("identifier").unwrap_or_default();
    if connector.is_empty() || identifier.is_empty() {
        return proxy_error(400, "connection_name and identifier headers are required", "INVALID_ARGUMENT");
    }
    let Some(connection) = state.connection(connector).cloned() else {
        return proxy_error(404, "connection not found", "NOT_FOUND");
    };
    if !connection.proxy_enabled {
        return proxy_error(403, "proxy not enabled for provider", "TOOL_PROXY_DISABLED");
    }
    let Some(index) = state.account_index(connector, identifier) else {
        return proxy_error(404, "connected account not found", "NOT_FOUND");
    };
    let upstream_path = req.path.strip_prefix("/proxy").unwrap_or_default();
    if state.accounts[index].status != "ACTIVE" {
        return super::provider::unauthorized();
    }
    super::provider::answer(&connection.provider_key, req, upstream_path)
}
