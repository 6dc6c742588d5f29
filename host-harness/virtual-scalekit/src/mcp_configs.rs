//! MCP configs and instances (reference §4.9): create and list configs, ensure and get a user's
//! instance, an instance's (or a config's) accounts with fresh authorization links, and session
//! tokens for a config's server URL. The MCP servers behind the URLs are [`super::hosted_mcp`].

use std::time::{Duration, SystemTime};

use agent_auth_contract::option::{EXPIRY_DEFAULT_SECONDS, EXPIRY_SECONDS};
use agent_auth_contract::rfc3339;
use serde_json::{Value, json};

use super::schema;
use super::state::{McpConfig, McpInstance, McpMapping, McpSessionToken, State};
use super::wire::{
    PageLimit, body_fields, gateway_error, invalid, json_response, list, message_fields, no_route, page_size, paginate,
    query_bool, required, text, text_list,
};
use super::{Request, Response};

/// `page_size` of `GET /api/v1/mcp/configs` (buf.validate `lte: 30`).
const CONFIGS_PAGE: PageLimit = PageLimit::AtMost(30);
/// Most `connection_tool_mappings` in one config.
const MAX_MAPPINGS: usize = 25;
/// Longest config name.
const MAX_NAME: usize = 100;
/// Longest identifier of a session token.
const MAX_IDENTIFIER: usize = 255;

/// Dispatches `/api/v1/mcp/{rest}` (the bearer is already checked).
pub fn route(state: &mut State, req: &Request, rest: &str) -> Response {
    // `{resource}` or `{resource}:{custom verb}`, as grpc-gateway matches them.
    let (resource, verb) = rest.split_once(':').unwrap_or((rest, ""));
    let of_config = resource.strip_prefix("configs/").and_then(|r| r.split_once('/'));
    let result = match (req.method.as_str(), resource, resource.strip_prefix("instances/"), of_config, verb) {
        ("POST", "configs", _, _, "") => create_config(state, req),
        ("GET", "configs", _, _, "") => list_configs(state, req),
        ("POST", _, _, Some((id, "tokens")), "") => session_token(state, req, id),
        ("POST", _, _, Some((id, "connected_accounts")), "") => config_accounts(state, req, id),
        ("POST", "instances", _, _, "") => ensure_instance(state, req),
        ("GET", _, Some(id), _, "") => get_instance(state, id),
        ("POST", _, Some(id), _, "get_auth_state") => auth_state(state, req, id),
        _ => Err(no_route()),
    };
    result.unwrap_or_else(|e| e)
}

fn valid_name(name: &str) -> bool {
    name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// `POST /api/v1/mcp/configs` (body = the config): 201 `{"config"}`; 409 on a taken name.
fn create_config(state: &mut State, req: &Request) -> Result<Response, Response> {
    let body = body_fields(req, &["name", "description", "connection_tool_mappings"])?;
    let name = text(&body, "name")?;
    let description = text(&body, "description")?;
    let mappings = list(&body, "connection_tool_mappings")?;
    let mut violations = Vec::new();
    if name.is_empty() {
        violations.push(required("name"));
    } else if name.chars().count() > MAX_NAME {
        violations.push(schema::violation(
            "name",
            format!("value length must be at most {MAX_NAME} characters"),
            "string.max_len",
        ));
    } else if !valid_name(name) {
        violations.push(schema::violation(
            "name",
            "value does not match regex pattern `^[a-z0-9_-]+$`".into(),
            "string.pattern",
        ));
    }
    if mappings.len() > MAX_MAPPINGS {
        let description = format!("value must contain no more than {MAX_MAPPINGS} item(s)");
        violations.push(schema::violation("connection_tool_mappings", description, "repeated.max_items"));
    }
    let mut requested = Vec::new();
    for (i, mapping) in mappings.iter().enumerate() {
        let fields = message_fields(mapping, &["connection_name", "tools"])?;
        let connection_name = text(fields, "connection_name")?;
        if connection_name.is_empty() {
            violations.push(required(&format!("connection_tool_mappings[{i}].connection_name")));
        }
        requested.push((connection_name, text_list(fields, "tools")?));
    }
    if !violations.is_empty() {
        return Err(invalid(violations));
    }
    if state.mcp_configs.iter().any(|c| c.name == name) {
        return Err(gateway_error(409, &format!("mcp config \"{name}\" already exists"), "ALREADY_EXISTS", None));
    }
    let mut resolved = Vec::new();
    for (connection_name, tools) in requested {
        let connection = state.connection(connection_name).ok_or_else(|| {
            gateway_error(404, &format!("connection \"{connection_name}\" not found"), "NOT_FOUND", None)
        })?;
        if let Some(unknown) =
            tools.iter().find(|t| !state.tools.iter().any(|k| k.name == **t && k.provider == connection.provider_key))
        {
            let message = format!(
                "tool \"{unknown}\" is not a {} tool (connection \"{connection_name}\")",
                connection.provider_key
            );
            return Err(gateway_error(400, &message, "INVALID_ARGUMENT", None));
        }
        resolved.push(McpMapping {
            connection_id: connection.id.clone(),
            connection_name: connection_name.to_owned(),
            provider: connection.provider_key.clone(),
            tools: tools.iter().map(|t| (*t).to_owned()).collect(),
        });
    }
    let config = new_config(state, name, description, resolved);
    let response = json_response(201, json!({"config": config.to_json()}));
    state.mcp_configs.push(config);
    Ok(response)
}

/// `GET /api/v1/mcp/configs`, filtered by `filter.id`, `filter.name`, `filter.provider`,
/// `filter.mcp_server_url` (exact) and `search` (in name or description, any case).
fn list_configs(state: &mut State, req: &Request) -> Result<Response, Response> {
    let size = page_size(req, CONFIGS_PAGE)?;
    let filter = |name: &str| req.query_value(name).filter(|v| !v.is_empty());
    let (id, name, provider, url) =
        (filter("filter.id"), filter("filter.name"), filter("filter.provider"), filter("filter.mcp_server_url"));
    let search = filter("search").map(str::to_lowercase);
    let matching: Vec<Value> = state
        .mcp_configs
        .iter()
        .filter(|c| {
            id.is_none_or(|v| c.id == v)
                && name.is_none_or(|v| c.name == v)
                && url.is_none_or(|v| c.mcp_server_url == v)
        })
        .filter(|c| provider.is_none_or(|p| c.mappings.iter().any(|m| m.provider.eq_ignore_ascii_case(p))))
        .filter(|c| {
            search
                .as_ref()
                .is_none_or(|s| c.name.contains(s.as_str()) || c.description.to_lowercase().contains(s.as_str()))
        })
        .map(McpConfig::to_json)
        .collect();
    let (page, next, prev) = paginate(&matching, size, req.query_value("page_token"))?;
    Ok(json_response(
        200,
        json!({"configs": page, "next_page_token": next, "prev_page_token": prev, "total_size": matching.len()}),
    ))
}

fn instance_response(state: &State, instance: &McpInstance) -> Response {
    match state.mcp_configs.iter().find(|c| c.id == instance.config_id) {
        Some(config) => json_response(200, json!({"instance": instance.to_json(config)})),
        None => gateway_error(500, "the instance's config is gone", "INTERNAL", None),
    }
}

/// `POST /api/v1/mcp/instances`: the user's instance of the config, created on first call.
fn ensure_instance(state: &mut State, req: &Request) -> Result<Response, Response> {
    let body = body_fields(req, &["config_name", "user_identifier", "name"])?;
    let (config_name, user_identifier, name) =
        (text(&body, "config_name")?, text(&body, "user_identifier")?, text(&body, "name")?);
    let mut violations = Vec::new();
    if config_name.is_empty() {
        violations.push(required("config_name"));
    }
    if user_identifier.is_empty() {
        violations.push(required("user_identifier"));
    }
    if !violations.is_empty() {
        return Err(invalid(violations));
    }
    let config_id = state
        .mcp_configs
        .iter()
        .find(|c| c.name == config_name)
        .map(|c| c.id.clone())
        .ok_or_else(|| gateway_error(404, &format!("mcp config \"{config_name}\" not found"), "NOT_FOUND", None))?;
    if let Some(existing) =
        state.mcp_instances.iter().find(|i| i.config_id == config_id && i.user_identifier == user_identifier)
    {
        return Ok(instance_response(state, existing));
    }
    let id = state.next_id("mcpi");
    let secret = state.secret();
    let url = format!("{}/mcp/v3/instances/{id}?token={secret}", state.base_url);
    let instance = McpInstance {
        secret,
        name: if name.is_empty() { format!("{config_name}-{user_identifier}") } else { name.to_owned() },
        id,
        user_identifier: user_identifier.to_owned(),
        config_id,
        updated_at: rfc3339::format_system_time(SystemTime::now()),
        url,
    };
    let response = instance_response(state, &instance);
    state.mcp_instances.push(instance);
    Ok(response)
}

fn instance(state: &State, id: &str) -> Result<McpInstance, Response> {
    state
        .mcp_instances
        .iter()
        .find(|i| i.id == id)
        .cloned()
        .ok_or_else(|| gateway_error(404, "mcp instance not found", "NOT_FOUND", None))
}

/// `GET /api/v1/mcp/instances/{instance_id}`.
fn get_instance(state: &mut State, id: &str) -> Result<Response, Response> {
    Ok(instance_response(state, &instance(state, id)?))
}

/// `POST /api/v1/mcp/instances/{instance_id}:get_auth_state[?include_auth_links=true]`: each
/// mapped connection with the user's account (see [`accounts_of`]).
fn auth_state(state: &mut State, req: &Request, id: &str) -> Result<Response, Response> {
    let include_links = query_bool(req, "include_auth_links")?;
    let instance = instance(state, id)?;
    let mappings = config(state, &instance.config_id)?.mappings.clone();
    let connections = accounts_of(state, &mappings, &instance.user_identifier, include_links);
    Ok(json_response(200, json!({"connections": connections})))
}

/// `POST /api/v1/mcp/configs/{config_id}/connected_accounts` `{identifier, include_auth_link}`:
/// the config's connections with the user's accounts (see [`accounts_of`]).
fn config_accounts(state: &mut State, req: &Request, config_id: &str) -> Result<Response, Response> {
    let body = body_fields(req, &["identifier", "include_auth_link"])?;
    let identifier = text(&body, "identifier")?;
    if identifier.is_empty() {
        return Err(invalid(vec![required("identifier")]));
    }
    let include_links = match body.get("include_auth_link") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(invalid(vec![schema::violation(
                "include_auth_link",
                "value must be a boolean".into(),
                "bool",
            )]));
        }
    };
    let mappings = config(state, config_id)?.mappings.clone();
    let accounts = accounts_of(state, &mappings, identifier, include_links);
    Ok(json_response(200, json!({"connected_accounts": accounts})))
}

/// Each mapped connection with `user`'s account and, when asked, a fresh link for an OAuth
/// connection whose account is not ACTIVE (creating a PENDING_AUTH account if there is none).
fn accounts_of(state: &mut State, mappings: &[McpMapping], user: &str, include_links: bool) -> Vec<Value> {
    let mut accounts = Vec::new();
    for m in mappings {
        let oauth = state.connection(&m.connection_name).is_some_and(|c| c.kind == "OAUTH");
        let active = state.active_account(&m.connection_name, user).is_some();
        let link = if include_links && oauth && !active {
            state.issue_link(&m.connection_name, user, None).map(|(link, _)| link)
        } else {
            None
        };
        let (account_id, status) = state
            .account_index(&m.connection_name, user)
            .map(|i| (state.accounts[i].id.clone(), state.accounts[i].status))
            .unwrap_or_default();
        accounts.push(json!({
            "connection_id": m.connection_id, "connection_name": m.connection_name, "provider": m.provider,
            "connected_account_id": account_id, "connected_account_status": status, "authentication_link": link.unwrap_or_default(),
        }));
    }
    accounts
}

/// `POST /api/v1/mcp/configs/{config_id}/tokens` `{identifier, expiry?: "3600s"}`: a bearer for
/// the config's `mcp_server_url` acting as `identifier`; 400 when a mapped connection has no
/// ACTIVE account for them.
fn session_token(state: &mut State, req: &Request, config_id: &str) -> Result<Response, Response> {
    let body = body_fields(req, &["identifier", "expiry"])?;
    let identifier = text(&body, "identifier")?;
    let expiry = text(&body, "expiry")?;
    let mut violations = Vec::new();
    if identifier.is_empty() {
        violations.push(required("identifier"));
    } else if identifier.chars().count() > MAX_IDENTIFIER {
        let description = format!("value length must be at most {MAX_IDENTIFIER} characters");
        violations.push(schema::violation("identifier", description, "string.max_len"));
    }
    let lifetime = match expiry {
        "" => Some(Duration::from_secs(EXPIRY_DEFAULT_SECONDS)),
        text => text
            .strip_suffix('s')
            .and_then(|n| n.parse().ok())
            .filter(|n| EXPIRY_SECONDS.contains(n))
            .map(Duration::from_secs),
    };
    if lifetime.is_none() {
        let description =
            format!("value must be a duration from {}s to {}s", EXPIRY_SECONDS.start(), EXPIRY_SECONDS.end());
        violations.push(schema::violation("expiry", description, "duration.within"));
    }
    if !violations.is_empty() {
        return Err(invalid(violations));
    }
    let config = config(state, config_id)?.clone();
    let inactive: Vec<&str> = config
        .mappings
        .iter()
        .filter(|m| state.active_account(&m.connection_name, identifier).is_none())
        .map(|m| m.connection_name.as_str())
        .collect();
    if !inactive.is_empty() {
        let message = format!("no ACTIVE connected account for {identifier} on {}", inactive.join(", "));
        return Err(gateway_error(400, &message, "FAILED_PRECONDITION", None));
    }
    let token = format!("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.{}.{}", state.secret(), state.secret());
    let now = SystemTime::now();
    let expires = now + lifetime.unwrap_or(Duration::from_secs(EXPIRY_DEFAULT_SECONDS));
    state.mcp_session_tokens.retain(|t| t.expires > now);
    state.mcp_session_tokens.push(McpSessionToken {
        token: token.clone(),
        config_id: config.id,
        identifier: identifier.to_owned(),
        expires,
    });
    Ok(json_response(200, json!({"token": token, "expires_at": rfc3339::format_system_time(expires)})))
}

/// The config with id `id`.
fn config<'s>(state: &'s State, id: &str) -> Result<&'s McpConfig, Response> {
    state
        .mcp_configs
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| gateway_error(404, "mcp config not found", "NOT_FOUND", None))
}

/// A new config with a fresh id and server URL (`{base_url}/mcp/v3/servers/<uuid>`).
pub(super) fn new_config(state: &mut State, name: &str, description: &str, mappings: Vec<McpMapping>) -> McpConfig {
    let id = state.next_id("cfg");
    let h = state.secret();
    let mcp_server_url = format!(
        "{}/mcp/v3/servers/{}-{}-4{}-{}-{}",
        state.base_url,
        &h[..8],
        &h[8..12],
        &h[13..16],
        &h[16..20],
        &h[20..32]
    );
    McpConfig { id, name: name.to_owned(), description: description.to_owned(), mappings, mcp_server_url }
}
