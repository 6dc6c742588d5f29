//! The component's entry: parse, run the one operation the table names, record it, print one result.

use std::time::Instant;

use agent_auth_contract::exit::Exit;
use agent_auth_contract::operation::{Kind, Local, Remote, User};
use agent_auth_contract::option::{
    self, AGENT_RUN_ID, CONNECTION_NAME, DRY_RUN, IDENTIFIER, NO_CACHE, TOOL_INPUT, TOOL_NAME,
};
use agent_auth_contract::{variables, verification};

use crate::audit::{self, Call, Intents};
use crate::bindings::wasi::cli::{terminal_stderr, terminal_stdin};
use crate::cli::{self, Args, ParseOutcome};
use crate::clock;
use crate::config::{self, Config};
use crate::flows::operation::{Context, HostedOperation, LocalOperation, RemoteOperation};
use crate::flows::{
    audit_log, doctor, execute, generate_link, get_authorization, get_tool, list_connections, mcp_configs, proxy,
    tokens, verify_user,
};
use crate::hosted::{Endpoint, HostedServer};
use crate::http::{Retrying, WasiClient};
use crate::output::{self, Code, Failure, Success, emit_failure, emit_success, warned_first};
use crate::scalekit::Scalekit;
use crate::storage::Storage;

/// Runs the command line `argv` with the environment `env`; returns the exit code.
pub fn main(argv: Vec<String>, env: Vec<(String, String)>) -> u8 {
    let no_colour = env.iter().any(|(k, _)| k == variables::NO_COLOR);
    output::set_colour(terminal_stderr::get_terminal_stderr().is_some() && !no_colour);
    // Known before parsing, so that even a usage error leaves a script's captured stdout empty.
    output::set_raw(option::raw_output(&argv));
    let result = match cli::parse(argv) {
        Ok(ParseOutcome::Print(text)) => {
            print!("{text}");
            return Exit::Ok.code();
        }
        Ok(ParseOutcome::Run(args)) => run(&args, &env),
        Err(failure) => Err(failure),
    };
    match with_runner_warnings(result, &env) {
        Ok(success) => emit_success(success),
        Err(failure) => emit_failure(failure),
    }
}

/// `result` with the runner's warnings ([`variables::RUNNER_WARNINGS`]) before its own.
fn with_runner_warnings(result: Result<Success, Failure>, env: &[(String, String)]) -> Result<Success, Failure> {
    let text = config::var(env, variables::RUNNER_WARNINGS).unwrap_or_default();
    let warnings: Vec<String> = serde_json::from_str(&text).unwrap_or_default();
    warnings.into_iter().rev().fold(result, warned_first)
}

/// Runs the operation the arguments name; every operation of the table has its arm. With a
/// hosted MCP URL configured, the tool operations go to it and the rest need the client
/// credentials as ever.
fn run(args: &Args, env: &[(String, String)]) -> Result<Success, Failure> {
    let storage = Storage::from_env(env);
    let remote_operation = match args.operation().kind {
        Kind::Local(Local::Configure) => return local::<tokens::Configure>(args, &storage),
        Kind::Local(Local::ListServices) => return local::<tokens::ListServices>(args, &storage),
        Kind::Local(Local::AuditLog) => return local::<audit_log::AuditLog>(args, &storage),
        Kind::Local(Local::Doctor) => return doctor::run(args, env, &storage),
        Kind::Remote(operation) => operation,
    };
    if let Some(endpoint) = Endpoint::from_env(env) {
        match (remote_operation, endpoint) {
            (Remote::GetTool, endpoint) => return hosted::<get_tool::GetTool>(args, env, &storage, &endpoint?),
            (Remote::ExecuteTool, endpoint) => {
                return hosted::<execute::ExecuteTool>(args, env, &storage, &endpoint?);
            }
            // The rest go to Scalekit's API when the credentials are there, whatever the MCP URL.
            (_, endpoint) if Config::from_env(env).is_err() => return Err(not_available(args, &endpoint?)),
            _ => {}
        }
    }
    match remote_operation {
        Remote::ListConnections => remote::<list_connections::ListConnections>(args, env, &storage),
        Remote::GenerateLink => remote::<generate_link::GenerateLink>(args, env, &storage),
        Remote::VerifyUser => remote::<verify_user::VerifyUser>(args, env, &storage),
        Remote::GetTool => remote::<get_tool::GetTool>(args, env, &storage),
        Remote::ExecuteTool => remote::<execute::ExecuteTool>(args, env, &storage),
        Remote::ProxyRequest => remote::<proxy::ProxyRequest>(args, env, &storage),
        Remote::GetAuthorization => remote::<get_authorization::GetAuthorization>(args, env, &storage),
        Remote::GetToken => remote::<tokens::GetToken>(args, env, &storage),
        Remote::CreateMcpConfig => remote::<mcp_configs::CreateConfig>(args, env, &storage),
        Remote::ListMcpConfigs => remote::<mcp_configs::ListConfigs>(args, env, &storage),
        Remote::EnsureMcpInstance => remote::<mcp_configs::EnsureInstance>(args, env, &storage),
        Remote::McpAuthState => remote::<mcp_configs::AuthState>(args, env, &storage),
        Remote::CreateMcpSessionToken => remote::<mcp_configs::CreateSessionToken>(args, env, &storage),
    }
}

fn local<T: LocalOperation>(args: &Args, storage: &Storage) -> Result<Success, Failure> {
    T::parse(args)?.run(storage)
}

/// Checks the options, then the configuration and the user; runs; records the call when the
/// table says the audit trail does.
fn remote<T: RemoteOperation>(args: &Args, env: &[(String, String)], storage: &Storage) -> Result<Success, Failure> {
    let operation = T::parse(args)?;
    let config = Config::from_env(env)?;
    let spec = args.operation();
    let flag = args.text(&IDENTIFIER).map(str::to_owned);
    let (identifier, prompted) = match spec.user {
        User::Nobody => (None, false),
        User::Optional => (flag.or_else(|| config.default_identifier.clone()), false),
        User::Required => resolve_identifier(flag, &config).map(|(id, prompted)| (Some(id), prompted))?,
    };
    let agent_run_id = agent_run_id(args, env);
    let no_cache = args.has(&NO_CACHE) || config::var(env, variables::NO_CACHE).is_some_and(|v| v != "0");
    // The user asked for; an optional one is only a default, and the result says whom it served.
    let user = identifier.as_deref().filter(|_| spec.user == User::Required);
    let requester = requester(env)?;
    let call = audited(args, args.text(&CONNECTION_NAME), user, agent_run_id.as_deref(), requester.as_deref());
    let wasi = WasiClient;
    let retrying = Retrying::new(&wasi);
    let http = Intents::new(&retrying, call.as_ref(), storage.state_dir());
    let sk = Scalekit::new(&http, &config, storage.state_dir(), !no_cache);
    let from_verify_route = config::var(env, verification::ROUTE_VAR).is_some();
    let ctx = Context {
        sk,
        storage,
        identifier: identifier.clone(),
        agent_run_id: agent_run_id.as_deref(),
        from_verify_route,
    };
    let timer = Instant::now();
    let result = operation.run(&ctx).map_err(|failure| corrected(failure, args));
    let result = attempted(result, &retrying, ctx.agent_run_id);
    record(storage, call.as_ref(), timer, &result);
    if !prompted {
        return result;
    }
    let warning = "no identifier was configured; set TOOL_IDENTIFIER (or pass --identifier) to skip the question";
    warned_first(result, warning.to_owned())
}

/// Checks the options, connects to the hosted MCP server and runs there (the URL fixes the user);
/// records the call as [`remote`] does.
fn hosted<T: HostedOperation>(
    args: &Args,
    env: &[(String, String)],
    storage: &Storage,
    endpoint: &Endpoint,
) -> Result<Success, Failure> {
    let operation = T::parse(args)?;
    let agent_run_id = agent_run_id(args, env);
    // The URL chose the connection and the user, whatever the command line said.
    let requester = requester(env)?;
    let call = audited(args, None, None, agent_run_id.as_deref(), requester.as_deref());
    let wasi = WasiClient;
    let retrying = Retrying::new(&wasi);
    let http = Intents::new(&retrying, call.as_ref(), storage.state_dir());
    let timer = Instant::now();
    let result = HostedServer::connect(&http, endpoint)
        .and_then(|server| operation.run_hosted(&server, storage))
        .map_err(|failure| corrected(failure, args));
    let result = attempted(result, &retrying, agent_run_id.as_deref());
    record(storage, call.as_ref(), timer, &result);
    let acts_for_a_user = args.operation().user == User::Required;
    match args.text(&IDENTIFIER).filter(|_| acts_for_a_user) {
        Some(id) => warned_first(
            result,
            format!("--identifier {id} was ignored: the MCP URL acts for the user it was made for"),
        ),
        None => result,
    }
}

/// `result` saying how many attempts its most tried request took, when more than one, and the
/// run a write of unknown outcome belongs to (to look it up in Scalekit's tool logs).
fn attempted(
    result: Result<Success, Failure>,
    http: &Retrying,
    agent_run_id: Option<&str>,
) -> Result<Success, Failure> {
    let result = match (agent_run_id, result) {
        (Some(id), Err(failure)) if failure.code == Code::OutcomeUnknown => Err(failure.with("agent_run_id", id)),
        (_, result) => result,
    };
    match (http.attempts(), result) {
        (1, result) => result,
        (n, Ok(success)) => Ok(success.with("attempts", n)),
        (n, Err(failure)) => Err(failure.with("attempts", n)),
    }
}

/// `--agent-run-id`, else `AGENT_RUN_ID`.
fn agent_run_id(args: &Args, env: &[(String, String)]) -> Option<String> {
    args.text(&AGENT_RUN_ID)
        .filter(|id| !id.trim().is_empty())
        .map(str::to_owned)
        .or_else(|| config::var(env, variables::AGENT_RUN_ID))
}

/// `AGENT_AUTH_REQUESTER`: who asked, for the audit trail ([`variables::requester`]).
fn requester(env: &[(String, String)]) -> Result<Option<String>, Failure> {
    let Some(given) = config::var(env, variables::REQUESTER) else { return Ok(None) };
    match variables::requester(&given) {
        Some(who) => Ok(Some(who.to_owned())),
        None => Err(Failure::new(
            Code::ConfigInvalid,
            format!("{} is not one line of at most {} bytes", variables::REQUESTER, variables::REQUESTER_MAX),
            "Name the requester as the agent host does, e.g. telegram:1001.",
        )),
    }
}

/// The call as the audit trail records it, when the table says the trail does (a dry run does
/// nothing worth recording).
fn audited<'a>(
    args: &'a Args,
    connection: Option<&'a str>,
    identifier: Option<&'a str>,
    agent_run_id: Option<&'a str>,
    requester: Option<&'a str>,
) -> Option<Call<'a>> {
    let spec = args.operation();
    let recorded = spec.audit.as_ref().filter(|_| !args.has(&DRY_RUN))?;
    Some(Call {
        id: format!("{:016x}", crate::bindings::wasi::random::random::get_random_u64()),
        operation: spec.flag,
        connection,
        identifier,
        target: audit::target(recorded, args),
        agent_run_id,
        requester,
        started: clock::now(),
    })
}

/// Adds the call's outcome to the audit trail, when it is audited.
fn record(storage: &Storage, call: Option<&Call>, timer: Instant, result: &Result<Success, Failure>) {
    if let Some((call, dir)) = call.zip(storage.state_dir()) {
        audit::record(dir, call, timer.elapsed().as_millis(), result);
    }
}

/// `NOT_AVAILABLE_WITH_MCP_URL`: what an MCP URL alone can do, and what the rest needs.
fn not_available(args: &Args, endpoint: &Endpoint) -> Failure {
    Failure::new(
        Code::NotAvailableWithMcpUrl,
        format!("--{} needs the Scalekit client credentials; {} is an MCP URL, which serves only its tools", args.operation().flag, endpoint.variable),
        "With an MCP URL use agent-auth --get-tool and --execute-tool; for the rest set TOOL_CLIENT_ID, TOOL_CLIENT_SECRET and TOOL_ENV_URL (https://your-env.scalekit.cloud).",
    )
    .with("mcp_server", &endpoint.shown)
}

/// A connection or tool name with one lookalike (`did_you_mean`): the same command with it, as
/// `next` (in place of any other).
fn corrected(failure: Failure, args: &Args) -> Failure {
    let option = match failure.code {
        Code::ConnectionNotFound => &CONNECTION_NAME,
        Code::ToolNotFound => &TOOL_NAME,
        _ => return failure,
    };
    let suggestion = failure.fields.get("did_you_mean").and_then(|v| v.as_str()).map(str::to_owned);
    // Input read from stdin would not be there for the command run again.
    let repeatable = args.text(&TOOL_INPUT) != Some("-");
    match suggestion {
        Some(name) if args.has(option) && repeatable => failure.next(args.again(&[(option, &name)])),
        _ => failure,
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
