//! MCP configs and per-user instances.

use crate::output::{Code, Failure, Success};
use crate::scalekit::Scalekit;

fn pending() -> Failure {
    Failure::new(Code::InternalError, "MCP operations are not available in this build yet", "Use the Scalekit dashboard meanwhile.")
}

/// `--create-mcp-config --name N [--description D] --tools CONNECTION[:tools]...`.
pub fn create_config(_sk: &Scalekit, _name: &str, _description: Option<&str>, _tools: &[String]) -> Result<Success, Failure> {
    Err(pending())
}

/// `--list-mcp-configs`.
pub fn list_configs(_sk: &Scalekit) -> Result<Success, Failure> {
    Err(pending())
}

/// `--ensure-mcp-instance --config-name N`.
pub fn ensure_instance(_sk: &Scalekit, _config_name: &str, _identifier: &str, _wait: Option<u64>) -> Result<Success, Failure> {
    Err(pending())
}

/// `--mcp-auth-state --instance-id ID`.
pub fn auth_state(_sk: &Scalekit, _instance_id: &str) -> Result<Success, Failure> {
    Err(pending())
}
