//! MCP configs and per-user instances (reference §4.9): `POST`/`GET /api/v1/mcp/configs`,
//! `POST /api/v1/mcp/instances`, `GET /api/v1/mcp/instances/{id}`,
//! `POST /api/v1/mcp/instances/{id}:get_auth_state`, and a config's session tokens and accounts
//! (`POST /api/v1/mcp/configs/{id}/tokens`, `.../connected_accounts`).
//!
//! An instance's `url` and a session token are credentials: whoever holds one acts as the user.
//! They are kept in [`Instance::url`] and [`SessionToken::token`] and must only ever reach stdout.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Value, json};

use super::pages::{Listing, Pages};
use super::{ApiError, Scalekit};
use crate::http::encode_component;
use crate::http::retry::Kind;

/// Scalekit's maximum page size for the config listing (buf.validate `lte: 30`).
pub const CONFIGS_PAGE_SIZE: u32 = 30;

/// One connection of a config and the tools it exposes (`connection_tool_mappings[]`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default)]
pub struct Mapping {
    /// The connection's name (`key_id`).
    #[serde(default)]
    pub connection_name: String,
    /// Scalekit's id (`conn_...`), set in responses.
    #[serde(default)]
    pub connection_id: String,
    /// Provider key, set in responses.
    #[serde(default)]
    pub provider: String,
    /// The exposed tools; empty means every tool of the connection.
    #[serde(default, deserialize_with = "null_as_default")]
    pub tools: Vec<String>,
}

/// An MCP config.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct Config {
    /// `cfg_...`
    #[serde(default)]
    pub id: String,
    /// Unique name, `[a-z0-9_-]{1,100}`.
    #[serde(default)]
    pub name: String,
    /// Free text.
    #[serde(default, deserialize_with = "null_as_default")]
    pub description: String,
    /// Connections and their tools.
    #[serde(default, deserialize_with = "null_as_default")]
    pub connection_tool_mappings: Vec<Mapping>,
    /// The config's MCP server URL (not user-specific).
    #[serde(default, deserialize_with = "null_as_default")]
    pub mcp_server_url: String,
}

/// A user's instance of a config.
#[derive(Clone, Deserialize, Default)]
pub struct Instance {
    /// The instance id.
    #[serde(default)]
    pub id: String,
    /// Display name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// The user it serves.
    #[serde(default, deserialize_with = "null_as_default")]
    pub user_identifier: String,
    /// Its config.
    #[serde(default)]
    pub config: Option<Config>,
    /// The pre-authenticated MCP URL: a secret for everything but stdout.
    #[serde(default, deserialize_with = "null_as_default")]
    pub url: String,
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("user_identifier", &self.user_identifier)
            .field("url", &"<redacted>")
            .finish()
    }
}

/// One connection of an instance with the user's account (`get_auth_state` `connections[]`).
#[derive(Debug, Clone, Deserialize, Default)]
pub struct ConnectionState {
    /// The connection's name.
    #[serde(default)]
    pub connection_name: String,
    /// Provider key.
    #[serde(default, deserialize_with = "null_as_default")]
    pub provider: String,
    /// The user's account on it (`ca_...`), empty when there is none.
    #[serde(default, deserialize_with = "null_as_default")]
    pub connected_account_id: String,
    /// `ACTIVE`, `PENDING_AUTH`, ...; empty when there is no account.
    #[serde(default, deserialize_with = "account_status")]
    pub connected_account_status: String,
    /// A fresh authorization link, when asked for and the account is not active.
    #[serde(default, deserialize_with = "null_as_default")]
    pub authentication_link: String,
}

impl ConnectionState {
    /// Whether tools can act for the user on this connection.
    pub fn is_active(&self) -> bool {
        self.connected_account_status == "ACTIVE"
    }
}

fn null_as_default<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// The account status as its wire string; an enum number (proto JSON without names) is mapped to
/// its name, `CONNECTION_STATUS_UNSPECIFIED` (0) to "no account".
fn account_status<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    const NAMES: [&str; 6] = ["", "ACTIVE", "EXPIRED", "PENDING_AUTH", "PENDING_VERIFICATION", "DISCONNECTED"];
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) if s == "CONNECTION_STATUS_UNSPECIFIED" => String::new(),
        Some(Value::String(s)) => s,
        Some(Value::Number(n)) => {
            n.as_u64().and_then(|i| NAMES.get(i as usize)).map_or_else(|| format!("UNKNOWN_{n}"), |s| (*s).to_owned())
        }
        _ => String::new(),
    })
}

#[derive(Deserialize)]
struct ConfigEnvelope {
    config: Config,
}

#[derive(Deserialize)]
struct ConfigPage {
    #[serde(default, deserialize_with = "null_as_default")]
    configs: Vec<Config>,
    #[serde(default, deserialize_with = "null_as_default")]
    next_page_token: String,
}

#[derive(Deserialize)]
struct InstanceEnvelope {
    instance: Instance,
}

#[derive(Deserialize)]
struct AuthState {
    #[serde(default, deserialize_with = "null_as_default")]
    connections: Vec<ConnectionState>,
}

#[derive(Deserialize)]
struct ConfigAccounts {
    #[serde(default, deserialize_with = "null_as_default")]
    connected_accounts: Vec<ConnectionState>,
}

/// A bearer for a config's server URL, acting for one user.
#[derive(Deserialize)]
pub struct SessionToken {
    /// The bearer value (a JWT).
    pub token: String,
    /// RFC 3339 time it stops working.
    #[serde(default, deserialize_with = "null_as_default")]
    pub expires_at: String,
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionToken").field("token", &"<redacted>").field("expires_at", &self.expires_at).finish()
    }
}

/// `POST /api/v1/mcp/configs`. A taken name comes back as `ApiError::Status` with 409.
pub fn create_config(sk: &Scalekit, name: &str, description: &str, mappings: &[Mapping]) -> Result<Config, ApiError> {
    let mappings: Vec<Value> =
        mappings.iter().map(|m| json!({"connection_name": m.connection_name, "tools": m.tools})).collect();
    let body = json!({"name": name, "description": description, "connection_tool_mappings": mappings});
    let created: ConfigEnvelope = sk.post("/api/v1/mcp/configs", &body, "MCP config")?;
    Ok(created.config)
}

impl Listing for ConfigPage {
    type Item = Config;
    fn into_parts(self) -> (Vec<Config>, String) {
        (self.configs, self.next_page_token)
    }
}

/// `GET /api/v1/mcp/configs`, every page, optionally only the config named `name`.
pub fn list_configs(sk: &Scalekit, name: Option<&str>) -> Result<Vec<Config>, ApiError> {
    let mut query = vec![("page_size", CONFIGS_PAGE_SIZE.to_string())];
    if let Some(name) = name {
        query.push(("filter.name", name.to_owned()));
    }
    Pages::<ConfigPage>::new(sk, "/api/v1/mcp/configs", query, "MCP config listing").all()
}

/// `POST /api/v1/mcp/instances`: the user's instance of the config, created on first call.
pub fn ensure_instance(sk: &Scalekit, config_name: &str, identifier: &str) -> Result<Instance, ApiError> {
    let body = json!({"config_name": config_name, "user_identifier": identifier});
    let found: InstanceEnvelope = sk.post("/api/v1/mcp/instances", &body, "MCP instance")?;
    Ok(found.instance)
}

/// `GET /api/v1/mcp/instances/{id}`.
pub fn get_instance(sk: &Scalekit, id: &str) -> Result<Instance, ApiError> {
    let found: InstanceEnvelope =
        sk.get(&format!("/api/v1/mcp/instances/{}", encode_component(id)), &[], "MCP instance")?;
    Ok(found.instance)
}

/// `POST /api/v1/mcp/instances/{id}:get_auth_state` (no body); with `include_links`, Scalekit adds a
/// fresh authorization link for every connection whose account is not active.
pub fn auth_state(sk: &Scalekit, id: &str, include_links: bool) -> Result<Vec<ConnectionState>, ApiError> {
    let path = format!("/api/v1/mcp/instances/{}:get_auth_state", encode_component(id));
    let query = if include_links { vec![("include_auth_links", "true".to_owned())] } else { Vec::new() };
    let state: AuthState = sk.request("POST", Kind::Read, &path, &query, None, "MCP instance auth state")?;
    Ok(state.connections)
}

/// `POST /api/v1/mcp/configs/{id}/tokens {identifier, expiry: "{seconds}s"}`. Scalekit answers
/// 400 when a connection of the config has no ACTIVE account for the user.
pub fn create_session_token(
    sk: &Scalekit,
    config_id: &str,
    identifier: &str,
    seconds: u64,
) -> Result<SessionToken, ApiError> {
    let path = format!("/api/v1/mcp/configs/{}/tokens", encode_component(config_id));
    sk.post(&path, &json!({"identifier": identifier, "expiry": format!("{seconds}s")}), "MCP session token")
}

/// `POST /api/v1/mcp/configs/{id}/connected_accounts {identifier, include_auth_link}`: each
/// connection of the config with the user's account (and a fresh link when asked for).
pub fn config_accounts(
    sk: &Scalekit,
    config_id: &str,
    identifier: &str,
    include_links: bool,
) -> Result<Vec<ConnectionState>, ApiError> {
    let path = format!("/api/v1/mcp/configs/{}/connected_accounts", encode_component(config_id));
    let body = json!({"identifier": identifier, "include_auth_link": include_links});
    let accounts: ConfigAccounts = sk.post_reading(&path, &body, "MCP config accounts")?;
    Ok(accounts.connected_accounts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_status_accepts_names_numbers_and_null() {
        let parse = |v: Value| {
            serde_json::from_value::<ConnectionState>(
                json!({"connection_name": "gmail", "connected_account_status": v}),
            )
            .unwrap()
        };
        assert_eq!(parse(json!("ACTIVE")).connected_account_status, "ACTIVE");
        assert_eq!(parse(json!(3)).connected_account_status, "PENDING_AUTH");
        assert_eq!(parse(json!(0)).connected_account_status, "");
        assert_eq!(parse(json!("CONNECTION_STATUS_UNSPECIFIED")).connected_account_status, "");
        assert_eq!(parse(Value::Null).connected_account_status, "");
    }

    #[test]
    fn instance_debug_hides_the_url() {
        let i = Instance { id: "mcpi_1".into(), url: "https://x/mcp?token=s3cret".into(), ..Default::default() };
        assert!(!format!("{i:?}").contains("s3cret"));
    }
}
