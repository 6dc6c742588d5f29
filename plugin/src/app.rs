//! The component's entry: parse, configure, run one operation, record it, print one result.

use std::time::Instant;

use crate::audit::{self, Entry};
use crate::bindings::wasi::cli::{terminal_stderr, terminal_stdin};
use crate::cli::{self, Command, Operation, ParseOutcome};
use crate::clock;
use crate::config::{self, Config};
use crate::flows::{
    audit_log, execute, generate_link, get_authorization, get_tool, list_connections, mcp, proxy, tokens,
};
use crate::http::WakiClient;
use crate::output::{self, Code, Failure, Success, emit_failure, emit_success};
use crate::scalekit::Scalekit;
use crate::scalekit::tools::ToolQuery;
use crate::storage::Storage;

/// Runs the command line `argv` with the environment `env`; returns the exit code.
pub fn main(argv: Vec<String>, env: Vec<(String, String)>) -> u8 {
    let no_colour = env.iter().any(|(k, _)| k == "NO_COLOR");
    output::set_colour(terminal_stderr::get_terminal_stderr().is_some() && !no_colour);
    match cli::parse(argv) {
        Ok(ParseOutcome::Print(text)) => {
            print!("{text}");
            0
        }
        Ok(ParseOutcome::Run(command)) => match run(command, &env) {
            Ok(success) => emit_success(success),
            Err(failure) => emit_failure(failure),
        },
        Err(failure) => emit_failure(failure),
    }
}

fn run(command: Command, env: &[(String, String)]) -> Result<Success, Failure> {
    let storage = Storage::from_env(env);
    let agent_run_id = command.agent_run_id.or_else(|| config::var(env, "AGENT_RUN_ID"));
    // Operations on local files need no Scalekit credentials.
    match command.operation {
        Operation::Configure { service, connection_name, identifier } => {
            tokens::configure(&storage, &service, &connection_name, identifier.as_deref())
        }
        Operation::ListServices => tokens::list_services(&storage),
        Operation::AuditLog { since, limit } => audit_log::run(&storage, since.as_deref(), limit),
        operation => remote(operation, env, &storage, agent_run_id.as_deref()),
    }
}

/// The audit trail's view of an operation: its name and target, or `None` when it is not audited.
fn audited(operation: &Operation) -> Option<(&'static str, Option<&str>, Option<String>)> {
    match operation {
        Operation::ExecuteTool { tool_name, connection_name, .. } => {
            Some(("execute-tool", Some(connection_name), Some(tool_name.clone())))
        }
        Operation::ProxyRequest(args) => Some((
            "proxy-request",
            Some(&args.connection_name),
            Some(format!("{} {}", args.method.to_ascii_uppercase(), args.path)),
        )),
        Operation::GetToken { services, for_url, .. } => {
            // Only host and path of --for-url: a query string may carry a key.
            let url = for_url.as_deref().map(|u| u.split(['?', '#']).next().unwrap_or_default().to_owned());
            Some(("get-token", None, Some(services.iter().cloned().chain(url).collect::<Vec<_>>().join(","))))
        }
        Operation::EnsureMcpInstance { config_name, .. } => {
            Some(("ensure-mcp-instance", None, Some(config_name.clone())))
        }
        Operation::McpAuthState { instance_id } => Some(("mcp-auth-state", None, Some(instance_id.clone()))),
        _ => None,
    }
}

/// The `--identifier` flag of operations that act on a connected account (`None` for the others).
fn identifier_flag(operation: &Operation) -> Option<Option<String>> {
    match operation {
        Operation::GenerateLink { identifier, .. }
        | Operation::ExecuteTool { identifier, .. }
        | Operation::GetAuthorization { identifier, .. }
        | Operation::EnsureMcpInstance { identifier, .. } => Some(identifier.clone()),
        Operation::ProxyRequest(args) => Some(args.identifier.clone()),
        _ => None,
    }
}

/// Operations that talk to Scalekit; the audited ones are timed and recorded.
fn remote(
    operation: Operation,
    env: &[(String, String)],
    storage: &Storage,
    agent_run_id: Option<&str>,
) -> Result<Success, Failure> {
    let config = Config::from_env(env)?;
    let http = WakiClient;
    let sk = Scalekit::new(&http, &config);
    let (identifier, prompted) = match identifier_flag(&operation) {
        Some(flag) => resolve_identifier(flag, &config).map(|(id, prompted)| (Some(id), prompted))?,
        None => (None, false),
    };
    let id = identifier.as_deref().unwrap_or_default();
    let audit = audited(&operation).map(|(name, connection, target)| (name, connection.map(str::to_owned), target));
    let (started, timer) = (clock::now(), Instant::now());
    let result = match operation {
        Operation::ListConnections { provider, page_size } => {
            list_connections::run(&sk, provider.as_deref(), page_size)
        }
        Operation::GetTool { provider, tool_names, query, page_size, page_token } => {
            get_tool::run(&sk, ToolQuery { provider, names: tool_names, query, page_size, page_token })
        }
        Operation::GenerateLink { connection_name, wait, .. } => generate_link::run(&sk, &connection_name, id, wait),
        Operation::ExecuteTool { tool_name, connection_name, tool_input, .. } => {
            execute::run(&sk, &tool_name, &connection_name, id, &tool_input, agent_run_id)
        }
        Operation::ProxyRequest(args) => proxy::run(&sk, args, id),
        Operation::GetAuthorization { connection_name, .. } => get_authorization::run(&sk, &connection_name, id),
        Operation::GetToken { services, for_url, identifier, include_static } => {
            let identifier = identifier.or_else(|| config.default_identifier.clone());
            tokens::get_tokens(&sk, storage, &services, for_url.as_deref(), identifier.as_deref(), include_static)
        }
        Operation::CreateMcpConfig { name, description, tools } => {
            mcp::create_config(&sk, &name, description.as_deref(), &tools)
        }
        Operation::ListMcpConfigs => mcp::list_configs(&sk),
        Operation::EnsureMcpInstance { config_name, wait, .. } => mcp::ensure_instance(&sk, &config_name, id, wait),
        Operation::McpAuthState { instance_id } => mcp::auth_state(&sk, &instance_id),
        Operation::Configure { .. } | Operation::ListServices | Operation::AuditLog { .. } => {
            unreachable!("local operations are handled in run")
        }
    };
    if let Some((name, connection, target)) = audit {
        let entry = Entry {
            operation: name,
            connection: connection.as_deref(),
            identifier: identifier.as_deref(),
            target,
            agent_run_id,
            started,
            duration_ms: timer.elapsed().as_millis(),
        };
        audit::record(storage.state_dir(), &entry, &result);
    }
    if !prompted {
        return result;
    }
    let warning =
        "no identifier was configured; set TOOL_IDENTIFIER (or pass --identifier) to skip the question".to_owned();
    match result {
        Ok(mut success) => {
            success.warnings.insert(0, warning);
            Ok(success)
        }
        Err(failure) => Err(failure.warn(vec![warning])),
    }
}

/// The identifier: the flag, then `TOOL_IDENTIFIER`, then (in a terminal) a question on stderr.
/// Returns it and whether it had to be asked for.
fn resolve_identifier(flag: Option<String>, config: &Config) -> Result<(String, bool), Failure> {
    if let Some(identifier) = flag.or_else(|| config.default_identifier.clone()).filter(|s| !s.trim().is_empty()) {
        return Ok((identifier.trim().to_owned(), false));
    }
    let asked = ask_identifier().ok_or_else(|| {
        Failure::new(
            Code::IdentifierRequired,
            "this operation acts for a user and needs an identifier",
            "Pass --identifier USER_ID or set TOOL_IDENTIFIER.",
        )
    })?;
    Ok((asked, true))
}

/// In a terminal, asks for the identifier on stderr.
fn ask_identifier() -> Option<String> {
    terminal_stdin::get_terminal_stdin()?;
    eprint!("Identifier of the user to act for (set TOOL_IDENTIFIER to skip this): ");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).ok()?;
    Some(line.trim().to_owned()).filter(|s| !s.is_empty())
}
