//! MCP configs and instances (reference §4.9): create and list configs, ensure and get a user's
//! instance, and an instance's auth state with fresh authorization links.

use std::time::SystemTime;

use agent_auth_contract::rfc3339;
use serde_json::{Value, json};

use super::schema;
use super::state::{McpConfig, McpInstance, McpMapping, State};
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

/// Dispatches `/api/v1/mcp/{rest}` (the bearer is already checked).
pub fn route(state: &mut State, req: &Request, rest: &str) -> Response {
    // `{resource}` or `{resource}:{custom verb}`, as grpc-gateway matches them.
    let (resource, verb) = rest.split_once(':').unwrap_or((rest, ""));
    let result = match (req.method.as_str(), resource, resource.strip_prefix("instances/"), verb) {
        ("POST", "configs", _, "") => create_config(state, req),
        ("GET", "configs", _, "") => list_configs(state, req),
        ("POST", "instances", _, "") => ensure_instance(state, req),
        ("GET", _, Some(id), "") => get_instance(state, id),
        ("POST", _, Some(id), "get_auth_state") => auth_state(state, req, id),
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
    let token = state.secret();
    let url = format!("{}/mcp/v3/instances/{id}?token={token}", state.base_url);
    let instance = McpInstance {
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
/// mapped connection with the user's account and, when asked, a fresh link for an OAuth
/// connection whose account is not ACTIVE (creating a PENDING_AUTH account if there is none).
fn auth_state(state: &mut State, req: &Request, id: &str) -> Result<Response, Response> {
    let include_links = query_bool(req, "include_auth_links")?;
    let instance = instance(state, id)?;
    let mappings =
        state.mcp_configs.iter().find(|c| c.id == instance.config_id).map(|c| c.mappings.clone()).unwrap_or_default();
    let user = instance.user_identifier.as_str();
    let mut connections = Vec::new();
    for m in mappings {
        let oauth = state.connection(&m.connection_name).is_some_and(|c| c.kind == "OAUTH");
        let active =
            state.account_index(&m.connection_name, user).is_some_and(|i| state.accounts[i].status == "ACTIVE");
        let link = if include_links && oauth && !active {
            state.issue_link(&m.connection_name, user).map(|(link, _)| link)
        } else {
            None
        };
        let (account_id, status) = state
            .account_index(&m.connection_name, user)
            .map(|i| (state.accounts[i].id.clone(), state.accounts[i].status))
            .unwrap_or_default();
        connections.push(json!({
            "connection_id": m.connection_id, "connection_name": m.connection_name, "provider": m.provider,
            "connected_account_id": account_id, "connected_account_status": status, "authentication_link": link.unwrap_or_default(),
        }));
    }
    Ok(json_response(200, json!({"connections": connections})))
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
