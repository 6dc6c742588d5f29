//! `--execute-tool`: check the account, then run the tool; never execute for an inactive account.

use agent_auth_contract::option::{CONNECTION_NAME, TOOL_INPUT, TOOL_NAME};
use agent_auth_contract::shell;
use serde_json::Value;

use super::account::{authorization_needed, find_connection, find_or_create_account, summary};
use super::operation::{Context, RemoteOperation};
use super::{errors, input};
use crate::cli::Args;
use crate::output::{Code, Failure, Success};
use crate::scalekit::accounts::Account;
use crate::scalekit::connections::Connection;
use crate::scalekit::tools;
use crate::scalekit::{ApiError, ErrorResponse, Scalekit};

/// `--execute-tool --tool-name T --connection-name C --tool-input JSON|@FILE|- [--identifier I]`.
pub struct ExecuteTool {
    tool_name: String,
    connection_name: String,
    tool_input: String,
}

impl RemoteOperation for ExecuteTool {
    fn parse(args: &Args) -> Result<Self, Failure> {
        Ok(ExecuteTool {
            tool_name: args.required(&TOOL_NAME),
            connection_name: args.required(&CONNECTION_NAME),
            tool_input: args.required(&TOOL_INPUT),
        })
    }

    fn run(self, ctx: &Context) -> Result<Success, Failure> {
        execute(&ctx.sk, &self.tool_name, &self.connection_name, ctx.user(), &self.tool_input, ctx.agent_run_id)
    }
}

/// Executes `tool_name` with `raw_input` for `identifier` on `connection_name`.
/// `agent_run_id` is forwarded to Scalekit for its tool logs.
fn execute(
    sk: &Scalekit,
    tool_name: &str,
    connection_name: &str,
    identifier: &str,
    raw_input: &str,
    agent_run_id: Option<&str>,
) -> Result<Success, Failure> {
    let params = Value::Object(input::json_object("--tool-input", raw_input, true)?);
    let connection = find_connection(sk, connection_name)?;
    // An account a recent step saw ACTIVE is not asked about again; Scalekit's refusal below
    // sends the flow back to asking.
    let remembered = sk.cache.active_account(connection_name, identifier);
    let from_cache = remembered.is_some();
    let account = match remembered {
        Some(account) => account,
        None => active_account(sk, &connection, tool_name, identifier)?,
    };
    let context = |f: Failure| {
        f.with("tool_name", tool_name).with("connection_name", connection_name).with("identifier", identifier)
    };
    match tools::execute(sk, tool_name, identifier, &account.id, &params, agent_run_id) {
        Ok(run) => Ok(Success::default()
            .with("tool_name", tool_name)
            .with("connection_name", connection_name)
            .with("identifier", identifier)
            .with("execution_id", run.execution_id)
            .with("data", run.data)),
        Err(ApiError::Status(rejection)) if from_cache => {
            // Nothing ran for an account that is gone or no longer active: check it afresh, and
            // tell the person when it needs them. Whatever else it was, it is reported as it is.
            sk.cache.remember_account(connection_name, identifier, None);
            if rejection.status == 404 {
                sk.cache.forget_connections();
            }
            if !rejection.is("TOOL_ERROR") && matches!(rejection.status, 400 | 403 | 404) {
                active_account(sk, &connection, tool_name, identifier)?;
            }
            Err(context(rejected(sk, &connection, identifier, tool_name, *rejection)))
        }
        Err(ApiError::Status(rejection)) => Err(context(rejected(sk, &connection, identifier, tool_name, *rejection))),
        Err(other) => Err(context(other.into())),
    }
}

/// The account as Scalekit has it now, when it can act; else how the person authorizes it.
fn active_account(
    sk: &Scalekit,
    connection: &Connection,
    tool_name: &str,
    identifier: &str,
) -> Result<Account, Failure> {
    match find_or_create_account(sk, connection, identifier)? {
        Some(account) if account.is_active() => Ok(account),
        other => {
            let status = other.as_ref().map_or("NOT_FOUND", |a| a.status.as_str());
            let message = format!(
                "cannot run {tool_name}: {} is not connected for {identifier} (status {status})",
                connection.key_id
            );
            Err(authorization_needed(sk, connection, identifier, other.as_ref(), Code::AuthorizationRequired, message)
                .with("tool_name", tool_name)
                .with_fields(summary(connection, identifier, other.as_ref())))
        }
    }
}

/// Explains why Scalekit or the provider refused the execution.
fn rejected(sk: &Scalekit, connection: &Connection, identifier: &str, tool_name: &str, r: ErrorResponse) -> Failure {
    if r.is("TOOL_ERROR") {
        let tool_code = r.tool_error.as_ref().map_or("", |t| t.tool_error_code.as_str());
        if r.status == 401 || matches!(tool_code, "UNAUTHENTICATED" | "UNAUTHORIZED") {
            let execution_id = r.tool_error.as_ref().map(|t| t.execution_id.clone()).unwrap_or_default();
            let message = format!(
                "the provider rejected the credentials of {} for {identifier} while running {tool_name}",
                connection.key_id
            );
            return authorization_needed(sk, connection, identifier, None, Code::ProviderUnauthorized, message)
                .with("execution_id", execution_id);
        }
        return errors::status(r);
    }
    match r.status {
        400 => Failure::new(
            Code::InvalidToolInput,
            format!("Scalekit rejected the input for {tool_name}: {}", r.message),
            format!(
                "Read the schema (agent-auth --get-tool --tool-name {}) and use exactly its parameter names and types.",
                shell::word(tool_name)
            ),
        )
        .with("violations", &r.violations),
        404 => Failure::new(
            Code::ToolNotFound,
            format!("no tool named {tool_name}: {}", r.message),
            format!(
                "List the tools of {}: agent-auth --get-tool --provider {}",
                connection.provider_key,
                shell::word(&connection.provider_key)
            ),
        ),
        _ => errors::status(r),
    }
}
