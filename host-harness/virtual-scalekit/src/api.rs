//! The REST routes (token, connections, connected accounts, magic links, tools, proxy), answered
//! from [`State`]; MCP config routes go to [`super::mcp_configs`], the MCP servers to
//! [`super::hosted_mcp`], authorization pages to [`super::pages`].

use agent_auth_contract::rfc3339;
use agent_auth_contract::verification::{STATE_MAX, URL_MAX};
use serde_json::{Value, json};

use super::execution::run_tool;
use super::pages;
use super::schema;
use super::state::{State, VerifyRefusal, VerifyTarget};
use super::wire::{
    PageLimit, body_fields, gateway_error, invalid, json_response, no_route, page_size, paginate, proxy_error,
    required, text,
};
use super::{Request, Response};

/// `page_size` of `GET /api/v1/connections/app` (buf.validate `lte: 30`).
const CONNECTIONS_PAGE: PageLimit = PageLimit::AtMost(30);
/// `page_size` of `GET /api/v1/connected_accounts` (buf.validate `lt: 100`).
const ACCOUNTS_PAGE: PageLimit = PageLimit::Below(100);
/// `page_size` of `GET /api/v1/tools`.
const TOOLS_PAGE: PageLimit = PageLimit::AtMost(100);

/// Dispatches one request.
pub fn route(state: &mut State, req: &Request) -> Response {
    let path = req.path.as_str();
    if req.method == "POST" && path == "/oauth/token" {
        return token(state, req);
    }
    if let Some(token) = path.strip_prefix("/magic/") {
        return pages::route(state, req, token);
    }
    if path == pages::VERIFIED_PATH {
        return pages::verified();
    }
    if let Some(name) = path.strip_prefix("/presigned/") {
        return super::provider::presigned(state, req, name);
    }
    if path.starts_with("/mcp/") {
        return super::hosted_mcp::route(state, req);
    }
    let is_proxy = path == "/proxy" || path.starts_with("/proxy/");
    if !path.starts_with("/api/v1/") && !is_proxy {
        return no_route();
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
    if let Some(rest) = path.strip_prefix("/api/v1/mcp/") {
        return super::mcp_configs::route(state, req, rest);
    }
    let result = match (req.method.as_str(), path) {
        ("GET", "/api/v1/connections/app") => list_connections(state, req),
        ("GET", "/api/v1/connected_accounts") => list_accounts(state, req),
        ("GET", "/api/v1/connected_accounts/details") => get_account(state, req, false),
        ("GET", "/api/v1/connected_accounts/auth") => get_account(state, req, true),
        ("POST", "/api/v1/connected_accounts") => create_account(state, req),
        ("POST", "/api/v1/connected_accounts/magic_link") => magic_link(state, req),
        ("POST", "/api/v1/connected_accounts/user/verify") => verify_user(state, req),
        ("GET", "/api/v1/tools") => list_tools(state, req),
        ("POST", "/api/v1/execute_tool") => execute_tool(state, req),
        _ => Err(no_route()),
    };
    result.unwrap_or_else(|e| e)
}

fn token(state: &mut State, req: &Request) -> Response {
    let form: Vec<(String, String)> = super::server::parse_query(&String::from_utf8_lossy(&req.body));
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap_or_default();
    let oauth_error = |status, error: &str, description: &str| {
        json_response(status, json!({"error": error, "error_description": description}))
    };
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
    let n = state.issued_tokens.len() + state.revoked_tokens + 1;
    let token = format!("eyJhbGciOiJSUzI1NiJ9.virtual-scalekit-{n:04}.{}", state.next_id("sig"));
    state.issued_tokens.push(token.clone());
    json_response(200, json!({"access_token": token, "token_type": "Bearer", "expires_in": 86399, "scope": "openid"}))
}

fn list_connections(state: &mut State, req: &Request) -> Result<Response, Response> {
    let size = page_size(req, CONNECTIONS_PAGE)?;
    let provider = req.query_value("provider").filter(|p| !p.is_empty());
    let matching: Vec<Value> = state
        .connections
        .iter()
        .filter(|c| provider.is_none_or(|p| c.provider_key.eq_ignore_ascii_case(p)))
        .map(|c| c.to_json())
        .collect();
    let (page, next, prev) = paginate(&matching, size, req.query_value("page_token"))?;
    Ok(json_response(
        200,
        json!({"connections": page, "next_page_token": next, "prev_page_token": prev, "total_size": matching.len()}),
    ))
}

/// `GET /api/v1/connected_accounts`: accounts without credentials, filtered by `connector`,
/// `identifier` and `provider` (any case).
fn list_accounts(state: &mut State, req: &Request) -> Result<Response, Response> {
    let size = page_size(req, ACCOUNTS_PAGE)?;
    let filter = |name: &str| req.query_value(name).filter(|v| !v.is_empty());
    let (connector, identifier, provider) = (filter("connector"), filter("identifier"), filter("provider"));
    let matching: Vec<Value> = state
        .accounts
        .iter()
        .filter(|a| connector.is_none_or(|c| a.connector == c))
        .filter(|a| identifier.is_none_or(|i| a.identifier == i))
        .filter(|a| provider.is_none_or(|p| a.provider.eq_ignore_ascii_case(p)))
        .map(|a| a.to_json(false))
        .collect();
    let (page, next, prev) = paginate(&matching, size, req.query_value("page_token"))?;
    Ok(json_response(
        200,
        json!({"connected_accounts": page, "total_size": matching.len(), "next_page_token": next, "prev_page_token": prev}),
    ))
}

fn account_key(req: &Request) -> Result<(String, String), Response> {
    let connector = req.query_value("connector").unwrap_or_default();
    let identifier = req.query_value("identifier").unwrap_or_default();
    let mut violations = Vec::new();
    if connector.is_empty() {
        violations.push(required("connector"));
    }
    if identifier.is_empty() {
        violations.push(required("identifier"));
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

fn connection_not_found() -> Response {
    gateway_error(404, "connection not found", "NOT_FOUND", None)
}

fn create_account(state: &mut State, req: &Request) -> Result<Response, Response> {
    let body = body_fields(req, &["connector", "identifier", "organization_id", "user_id", "connected_account"])?;
    let (connector, identifier) = (text(&body, "connector")?, text(&body, "identifier")?);
    let mut violations = Vec::new();
    if connector.is_empty() {
        violations.push(required("connector"));
    }
    if identifier.is_empty() {
        violations.push(required("identifier"));
    }
    if !body.get("connected_account").is_some_and(Value::is_object) {
        violations.push(required("connected_account"));
    }
    if !violations.is_empty() {
        return Err(invalid(violations));
    }
    if state.account_index(connector, identifier).is_some() {
        return Err(gateway_error(409, "connected account already exists", "ALREADY_EXISTS", None));
    }
    let index = state.add_account(connector, identifier).ok_or_else(connection_not_found)?;
    Ok(json_response(201, json!({"connected_account": state.accounts[index].to_json(false)})))
}

/// `POST /api/v1/connected_accounts/user/verify` `{auth_request_id, identifier}`: 200 with where
/// to send the browser; 403 for another identifier; 404 for an unknown or used request.
fn verify_user(state: &mut State, req: &Request) -> Result<Response, Response> {
    let body = body_fields(req, &["auth_request_id", "identifier"])?;
    let (id, identifier) = (text(&body, "auth_request_id")?, text(&body, "identifier")?);
    let missing: Vec<_> = [("auth_request_id", id), ("identifier", identifier)]
        .into_iter()
        .filter(|(_, v)| v.is_empty())
        .map(|(name, _)| schema::violation(name, "value is required".into(), "required"))
        .collect();
    if !missing.is_empty() {
        return Err(invalid(missing));
    }
    match state.verify_user(id, identifier) {
        Ok(_) => {
            let next = format!("{}{}", state.base_url, pages::VERIFIED_PATH);
            Ok(json_response(200, json!({"post_user_verify_redirect_url": next})))
        }
        Err(VerifyRefusal::IdentifierMismatch) => {
            Err(gateway_error(403, "identifier mismatch", "PERMISSION_DENIED", None))
        }
        Err(VerifyRefusal::NotFound) => Err(gateway_error(
            404,
            "no pending flow for the given auth_request_id or already consumed",
            "NOT_FOUND",
            None,
        )),
    }
}

/// `POST /api/v1/connected_accounts/magic_link` for `{connector, identifier}` or `{id}`.
fn magic_link(state: &mut State, req: &Request) -> Result<Response, Response> {
    let body =
        body_fields(req, &["connector", "identifier", "id", "organization_id", "user_id", "state", "user_verify_url"])?;
    let (connector, identifier) = match text(&body, "id")? {
        "" => (text(&body, "connector")?.to_owned(), text(&body, "identifier")?.to_owned()),
        id => state
            .accounts
            .iter()
            .find(|a| a.id == id)
            .map(|a| (a.connector.clone(), a.identifier.clone()))
            .ok_or_else(|| gateway_error(404, "connected account not found", "NOT_FOUND", None))?,
    };
    if connector.is_empty() || identifier.is_empty() {
        return Err(invalid(vec![schema::violation(
            "connector",
            "connector and identifier (or id) are required".into(),
            "required",
        )]));
    }
    let kind = state.connection(&connector).map(|c| c.kind).ok_or_else(connection_not_found)?;
    if kind != "OAUTH" {
        return Err(gateway_error(
            400,
            "authorization links exist only for OAuth connections",
            "FAILED_PRECONDITION",
            None,
        ));
    }
    let verify_url = text(&body, "user_verify_url")?;
    let verify_state = text(&body, "state")?;
    let mut violations = Vec::new();
    // Scalekit's limits (buf.validate counts characters).
    if verify_state.chars().count() > STATE_MAX {
        let message = format!("value length must be at most {STATE_MAX} characters");
        violations.push(schema::violation("state", message, "string.max_len"));
    }
    if verify_url.chars().count() > URL_MAX {
        let message = format!("value length must be at most {URL_MAX} characters");
        violations.push(schema::violation("user_verify_url", message, "string.max_len"));
    }
    if !(verify_url.is_empty() || verify_url.starts_with("http://") || verify_url.starts_with("https://")) {
        violations.push(schema::violation(
            "user_verify_url",
            "value does not match regex pattern `^$|^https?://`".into(),
            "string.pattern",
        ));
    }
    if !violations.is_empty() {
        return Err(invalid(violations));
    }
    let verify =
        (!verify_url.is_empty()).then(|| VerifyTarget { url: verify_url.to_owned(), state: verify_state.to_owned() });
    let (link, expires) = state.issue_link(&connector, &identifier, verify).ok_or_else(connection_not_found)?;
    Ok(json_response(200, json!({"link": link, "expiry": rfc3339::format_system_time(expires)})))
}

fn list_tools(state: &mut State, req: &Request) -> Result<Response, Response> {
    let size = page_size(req, TOOLS_PAGE)?;
    let provider = req.query_value("filter.provider").filter(|p| !p.is_empty());
    let names: Vec<&str> = req.query.iter().filter(|(k, _)| k == "filter.tool_name").map(|(_, v)| v.as_str()).collect();
    let query = req.query_value("filter.query").map(str::to_lowercase);
    if let Some(q) = &query
        && !(3..=100).contains(&q.chars().count())
    {
        return Err(invalid(vec![schema::violation(
            "filter.query",
            "value length must be between 3 and 100 characters".into(),
            "string.len",
        )]));
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
    Ok(json_response(
        200,
        json!({"tools": page, "tool_names": [], "next_page_token": next, "prev_page_token": prev, "total_size": matching.len()}),
    ))
}

fn execute_tool(state: &mut State, req: &Request) -> Result<Response, Response> {
    let body = body_fields(
        req,
        &[
            "tool_name",
            "params",
            "connected_account_id",
            "connector",
            "identifier",
            "organization_id",
            "user_id",
            "agent_run_id",
        ],
    )?;
    let tool_name = text(&body, "tool_name")?;
    if tool_name.is_empty() {
        return Err(invalid(vec![required("tool_name")]));
    }
    let tool = state
        .tools
        .iter()
        .find(|t| t.name == tool_name)
        .cloned()
        .ok_or_else(|| gateway_error(404, "tool not found", "NOT_FOUND", None))?;
    let identifier = text(&body, "identifier")?;
    let account = match text(&body, "connected_account_id")? {
        "" => state.account_index(text(&body, "connector")?, identifier),
        id => state.accounts.iter().position(|a| a.id == id),
    }
    .map(|i| state.accounts[i].clone())
    .ok_or_else(|| gateway_error(404, "connected account not found", "NOT_FOUND", None))?;
    if !identifier.is_empty() && identifier != account.identifier {
        return Err(gateway_error(400, "identifier does not match the connected account", "INVALID_ARGUMENT", None));
    }
    let provider_matches = state.connection(&account.connector).is_some_and(|c| c.provider_key == tool.provider);
    if !provider_matches {
        return Err(gateway_error(
            400,
            &format!("{} is not a tool of the account's provider", tool.name),
            "FAILED_PRECONDITION",
            None,
        ));
    }
    let params = body.get("params").cloned().unwrap_or_else(|| json!({}));
    match run_tool(state, &tool, &account, &params) {
        Ok(run) => Ok(json_response(200, json!({"data": run.data, "execution_id": run.execution_id}))),
        Err(refusal) => Err(refusal.response()),
    }
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
    if state.accounts[index].status != "ACTIVE" || state.accounts[index].provider_refuses {
        return super::provider::unauthorized();
    }
    super::provider::answer(state, &connection.provider_key, req, upstream_path)
}
