//! A tool's execution in the virtual Scalekit: the one path of the REST API's `execute_tool` and
//! the MCP servers' `tools/call`. The account must be ACTIVE and the input must fit the tool's
//! schema; then the tool's behaviour runs, or the provider refuses the stored credentials.

use serde_json::{Value, json};

use super::Response;
use super::schema;
use super::state::{Account, State, Tool};
use super::wire::{gateway_error, invalid};

/// A tool that ran.
pub(super) struct Run {
    /// What it returned.
    pub data: Value,
    /// `exec_...`
    pub execution_id: String,
}

/// Why a tool did not run, or failed.
pub(super) enum Refusal {
    /// The account is not ACTIVE (its status).
    Inactive(&'static str),
    /// The input breaks the tool's schema.
    Invalid(Vec<Value>),
    /// The provider refused the stored credentials.
    ProviderUnauthorized {
        /// `exec_...`
        execution_id: String,
    },
    /// The tool ran and failed.
    Failed {
        /// `exec_...`
        execution_id: String,
        /// The provider's code, e.g. `object_not_found`.
        code: &'static str,
        /// The provider's message.
        message: String,
    },
}

impl Refusal {
    /// The REST answer: grpc-gateway errors, with `tool_error_info` for a tool's failure.
    pub fn response(self) -> Response {
        let tool_error = |status, execution_id: String, code: &str, message: &str| {
            let info = json!({"execution_id": execution_id, "tool_error_code": code, "tool_error_message": message});
            gateway_error(status, "tool execution failed", "TOOL_ERROR", Some(("tool_error_info", info)))
        };
        match self {
            Refusal::Inactive(status) => {
                gateway_error(400, &format!("connected account is {status}"), "FAILED_PRECONDITION", None)
            }
            Refusal::Invalid(violations) => invalid(violations),
            Refusal::ProviderUnauthorized { execution_id } => {
                tool_error(401, execution_id, "UNAUTHENTICATED", PROVIDER_REFUSAL)
            }
            Refusal::Failed { execution_id, code, message } => tool_error(500, execution_id, code, &message),
        }
    }
}

/// What a provider says of credentials it no longer accepts.
pub(super) const PROVIDER_REFUSAL: &str = "API token is invalid.";

/// Runs `tool` for `account` with `params`, the one execution path of the REST API and the MCP
/// servers: the account must be ACTIVE and the input must fit the tool's schema.
pub(super) fn run_tool(state: &mut State, tool: &Tool, account: &Account, params: &Value) -> Result<Run, Refusal> {
    if account.status != "ACTIVE" {
        return Err(Refusal::Inactive(account.status));
    }
    let mut violations = Vec::new();
    schema::validate(params, &tool.input_schema, "params", &mut violations);
    if !violations.is_empty() {
        return Err(Refusal::Invalid(violations));
    }
    let execution_id = state.next_id("exec");
    if account.provider_refuses {
        return Err(Refusal::ProviderUnauthorized { execution_id });
    }
    match (tool.behaviour)(state, &account.identifier, params) {
        Ok(data) => Ok(Run { data, execution_id }),
        Err(refusal) => Err(Refusal::Failed { execution_id, code: refusal.code, message: refusal.message }),
    }
}
