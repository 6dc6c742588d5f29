//! A session token for an MCP config's server URL: with an instance URL, the way to hand an agent
//! one user's tools of one config without the client secret.

use super::instances;
use crate::flows::errors;
use crate::output::{Failure, Success};
use crate::scalekit::mcp_configs;
use crate::scalekit::{ApiError, Scalekit};

/// Creates a token acting for `identifier` on config `config_name` for `seconds`: the token and the
/// server URL (stdout only), or the links of the connections the person must authorize first.
pub fn create(sk: &Scalekit, config_name: &str, identifier: &str, seconds: u64) -> Result<Success, Failure> {
    let name = config_name.trim();
    let config = mcp_configs::list_configs(sk, Some(name))?
        .into_iter()
        .find(|c| c.name == name)
        .ok_or_else(|| instances::missing_config(name))?;
    match mcp_configs::create_session_token(sk, &config.id, identifier, seconds) {
        Ok(token) => Ok(Success::default()
            .with("config_name", name)
            .with("identifier", identifier)
            .with("mcp_server_url", config.mcp_server_url)
            // A credential: stdout only.
            .with("token", token.token)
            .with("expires_at", token.expires_at)),
        // Scalekit issues no token while a connection of the config is not active for the user.
        Err(ApiError::Status(r)) if r.status == 400 && !r.is("INVALID_ARGUMENT") => {
            let states = mcp_configs::config_accounts(sk, &config.id, identifier, true)?;
            if states.iter().all(mcp_configs::ConnectionState::is_active) {
                return Err(errors::status(*r));
            }
            Err(instances::config_not_ready(sk, name, identifier, states))
        }
        Err(other) => Err(other.into()),
    }
}
