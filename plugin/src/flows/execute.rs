//! `--execute-tool`: check the input against the tool's schema, find the connection and check the
//! account, then run the tool; never execute an input that breaks the schema or for an inactive account.

use agent_auth_contract::option::{CONNECTION_NAME, DRY_RUN, TOOL_INPUT, TOOL_NAME};
use agent_auth_contract::shell;
use serde_json::{Value, json};

use super::account::{
    active_account_as_is, authorization_needed, find_connection, find_or_create_account, find_provider_connection,
    summary,
};
use super::operation::{Context, HostedOperation, RemoteOperation};
use super::{errors, get_tool, input};
use crate::cli::Args;
use crate::hosted::{Called, HostedServer};
use crate::output::{ActionRequired, Code, Failure, Success};
use crate::results::{self, Budget};
use crate::scalekit::accounts::Account;
use crate::scalekit::connections::Connection;
use crate::scalekit::tools::{self, EXECUTE_PATH, ExecuteRequest, Tool};
use crate::scalekit::{ApiError, ErrorResponse, Scalekit};
use crate::schema;
use crate::storage::Storage;

/// `--execute-tool --tool-name T [--connection-name C] --tool-input JSON|@FILE|- [--dry-run]
/// [--max-output-bytes N] [--identifier I]`.
pub struct ExecuteTool {
    /// The command line, for the corrected command a failure offers.
    args: Args,
    tool_name: String,
    /// `None`: the tool's provider's first COMPLETED connection.
    connection_name: Option<String>,
    tool_input: String,
    /// Check everything, send no execution (`--dry-run`).
    dry_run: bool,
    /// How much of `data` stdout carries (`--max-output-bytes`).
    budget: Budget,
}

impl RemoteOperation for ExecuteTool {
    fn parse(args: &Args) -> Result<Self, Failure> {
        Ok(ExecuteTool {
            args: args.clone(),
            tool_name: args.required(&TOOL_NAME),
            connection_name: args.text(&CONNECTION_NAME).map(str::to_owned),
            tool_input: args.required(&TOOL_INPUT),
            dry_run: args.has(&DRY_RUN),
            budget: Budget::parse(args)?,
        })
    }

    fn run(self, ctx: &Context) -> Result<Success, Failure> {
        let mut warnings = Vec::new();
        match execute(ctx, &self, &mut warnings) {
            Ok(mut success) => {
                success.warnings.extend(warnings);
                Ok(results::fit(success, "data", self.budget, ctx.storage.state_dir(), &self.tool_name))
            }
            Err(failure) => Err(failure.warn(warnings)),
        }
    }
}

impl HostedOperation for ExecuteTool {
    /// Runs the tool through a hosted MCP server: the input is checked against the server's schema
    /// of the tool before the call, as for REST; the URL fixes the user and the connections.
    fn run_hosted(self, server: &HostedServer, storage: &Storage) -> Result<Success, Failure> {
        let mut warnings = Vec::new();
        if self.connection_name.is_some() {
            warnings.push("--connection-name was ignored: with an MCP URL the URL fixes the connections".to_owned());
        }
        match execute_hosted(server, &self) {
            Ok(mut success) => {
                success.warnings.extend(warnings);
                Ok(results::fit(success, "data", self.budget, storage.state_dir(), &self.tool_name))
            }
            Err(failure) => Err(failure.warn(warnings)),
        }
    }
}

/// The hosted steps: read the input, find the tool and check the input against its schema, call it.
fn execute_hosted(server: &HostedServer, request: &ExecuteTool) -> Result<Success, Failure> {
    let name = request.tool_name.as_str();
    let params = Value::Object(input::json_object("--tool-input", &request.tool_input, true)?);
    let tools = server.tools()?;
    let tool = tools.iter().find(|t| t.name == name).ok_or_else(|| get_tool::not_served(server, name, &tools))?;
    let warnings = check_input(request, tool, &params)?;
    let mut described = Success::default().with("tool_name", name).with("mcp_server", server.shown);
    described.warnings.extend(warnings);
    if request.dry_run {
        let shown = json!({"method": "tools/call", "params": {"name": name, "arguments": params}});
        return Ok(described.with("dry_run", true).with("request", shown));
    }
    match server.call(name, &params)? {
        Called::Data(data) => Ok(described.with("data", data)),
        Called::Failed { text, link: Some(link) } => Err(Failure::new(
            Code::AuthorizationRequired,
            // The link goes in action_required alone, as on the REST path.
            format!(
                "cannot run {name}: the MCP server asks for authorization: {}",
                text.replace(&link, "(the link in action_required)")
            ),
            "Show the person the link verbatim; once they have authorized, run the same command again.",
        )
        .action(ActionRequired {
            kind: "authorize".into(),
            message: "Open this link to authorize the connection, then tell me when it is done.".to_owned(),
            link: Some(link),
            expires_at: None,
            links: None,
        })
        .with("tool_name", name)),
        Called::Failed { text, link: None } => Err(Failure::new(
            Code::ToolError,
            format!("the tool failed: {text}"),
            "Read the server's message; fix the input or retry later, and do not retry writes blindly.",
        )
        .with("tool_name", name)),
    }
}

/// Runs the tool for the context's user: the input is read and checked against the tool's schema
/// before anything else is sent; then the connection, the account, and the execution.
fn execute(ctx: &Context, request: &ExecuteTool, warnings: &mut Vec<String>) -> Result<Success, Failure> {
    let (sk, identifier, tool_name) = (&ctx.sk, ctx.user(), request.tool_name.as_str());
    let params = Value::Object(input::json_object("--tool-input", &request.tool_input, true)?);
    let remembered = sk.cache.tool(tool_name, None).is_some();
    let mut tool = get_tool::find(sk, tool_name)?;
    let checked = match check_input(request, &tool, &params) {
        // A schema remembered from a recent step may be older than the tool: judge by the current one.
        Err(refused) if remembered && refused.code == Code::InvalidToolInput => {
            match get_tool::look_up(sk, tool_name) {
                Ok(current) if current.input_schema != tool.input_schema => {
                    sk.cache.forget_tool(tool_name);
                    sk.cache.remember_named_tools(std::slice::from_ref(&current));
                    tool = current;
                    check_input(request, &tool, &params)
                }
                _ => Err(refused),
            }
        }
        checked => checked,
    };
    warnings.extend(checked?);
    let connection = match &request.connection_name {
        Some(name) => find_connection(sk, name)?,
        None => {
            let (connection, several) = find_provider_connection(sk, &tool.provider)?;
            warnings.extend(several);
            connection
        }
    };
    let connection_name = connection.key_id.as_str();
    // An account a recent step saw ACTIVE is not asked about again; Scalekit's refusal below
    // sends the flow back to asking. A dry run creates and authorizes nothing.
    let remembered = sk.cache.active_account(connection_name, identifier).filter(|_| !request.dry_run);
    let from_cache = remembered.is_some();
    let account = match remembered {
        Some(account) => account,
        None if request.dry_run => {
            active_account_as_is(sk, &connection, identifier).map_err(|f| f.with("tool_name", tool_name))?
        }
        None => active_account(sk, &connection, tool_name, identifier)?,
    };
    let call = ExecuteRequest {
        tool_name,
        identifier,
        connected_account_id: &account.id,
        params: &params,
        agent_run_id: ctx.agent_run_id,
    };
    let described = || {
        Success::default()
            .with("tool_name", tool_name)
            .with("connection_name", connection_name)
            .with("identifier", identifier)
    };
    if request.dry_run {
        let shown = json!({"method": "POST", "path": EXECUTE_PATH, "body": call.body()});
        return Ok(described().with("dry_run", true).with("request", shown));
    }
    let context = |f: Failure| {
        f.with("tool_name", tool_name).with("connection_name", connection_name).with("identifier", identifier)
    };
    match tools::execute(sk, &call) {
        Ok(run) => Ok(described().with("execution_id", run.execution_id).with("data", run.data)),
        Err(ApiError::Status(rejection)) => {
            if !rejection.is("TOOL_ERROR") && matches!(rejection.status, 400 | 404) {
                // Scalekit judged the tool otherwise than its remembered schema did.
                sk.cache.forget_tool(tool_name);
            }
            if from_cache {
                // Nothing ran for an account that is gone or no longer active: check it afresh,
                // and tell the person when it needs them. Whatever else it was, it is reported as it is.
                sk.cache.remember_account(connection_name, identifier, None);
                if rejection.status == 404 {
                    sk.cache.forget_connections();
                }
                if !rejection.is("TOOL_ERROR") && matches!(rejection.status, 400 | 403 | 404) {
                    active_account(sk, &connection, tool_name, identifier)?;
                }
            }
            Err(context(rejected(sk, &connection, identifier, tool_name, *rejection)))
        }
        Err(other) => Err(context(other.into())),
    }
}

/// Checks `params` against `tool`'s input schema: every violation at once in `INVALID_TOOL_INPUT`,
/// with the smallest input the schema accepts and, when every violation names its fix, the same
/// command with the corrected input as `next`. A schema that cannot be compiled is only warned
/// about, and Scalekit judges the input.
fn check_input(request: &ExecuteTool, tool: &Tool, params: &Value) -> Result<Option<String>, Failure> {
    let violations = match schema::check(&tool.input_schema, params) {
        Ok(violations) => violations,
        Err(reason) => {
            return Ok(Some(format!(
                "the input_schema of {} cannot be read ({reason}); the input was not checked before sending",
                tool.name
            )));
        }
    };
    let Some(first) = violations.first() else { return Ok(None) };
    let mut message = format!("--tool-input does not fit the schema of {}: {}", tool.name, first.description);
    if violations.len() > 1 {
        message.push_str(&format!(" (and {} more)", violations.len() - 1));
    }
    let mut failure = Failure::new(
        Code::InvalidToolInput,
        message,
        "Fix every violation listed (pointer, expected, given, did_you_mean) and run the command again; nothing was sent.",
    )
    .with("tool_name", &tool.name)
    .with("violations", &violations);
    if let Some(example) = schema::minimal_input(&tool.input_schema) {
        failure = failure.with("example_input", example);
    }
    if let Some(fixed) = schema::corrected(&tool.input_schema, params, &violations) {
        failure = failure.next(request.args.again(&[(&TOOL_INPUT, &fixed.to_string())]));
    }
    Err(failure)
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
