//! The component's entry: parse, configure, run one operation, print one result.

use crate::bindings::wasi::cli::{terminal_stderr, terminal_stdin};
use crate::cli::{self, Operation, ParseOutcome};
use crate::config::Config;
use crate::flows::{execute, generate_link, get_authorization, get_tool, list_connections, proxy};
use crate::http::WakiClient;
use crate::output::{self, Code, Failure, Success, emit_failure, emit_success};
use crate::scalekit::Scalekit;
use crate::scalekit::tools::ToolQuery;

/// Runs the command line `argv` with the environment `env`; returns the exit code.
pub fn main(argv: Vec<String>, env: Vec<(String, String)>) -> u8 {
    let no_colour = env.iter().any(|(k, _)| k == "NO_COLOR");
    output::set_colour(terminal_stderr::get_terminal_stderr().is_some() && !no_colour);
    match cli::parse(argv) {
        Ok(ParseOutcome::Print(text)) => {
            print!("{text}");
            0
        }
        Ok(ParseOutcome::Run(operation)) => match run(operation, &env) {
            Ok(success) => emit_success(success),
            Err(failure) => emit_failure(failure),
        },
        Err(failure) => emit_failure(failure),
    }
}

fn run(operation: Operation, env: &[(String, String)]) -> Result<Success, Failure> {
    let config = Config::from_env(env)?;
    let http = WakiClient;
    let sk = Scalekit::new(&http, &config);
    match operation {
        Operation::ListConnections { provider, page_size } => list_connections::run(&sk, provider.as_deref(), page_size),
        Operation::GetTool { provider, tool_names, query, page_size, page_token } => {
            get_tool::run(&sk, ToolQuery { provider, names: tool_names, query, page_size, page_token })
        }
        Operation::GenerateLink { connection_name, identifier, wait } => {
            with_identifier(identifier, &config, |id| generate_link::run(&sk, &connection_name, id, wait))
        }
        Operation::ExecuteTool { tool_name, connection_name, tool_input, identifier } => {
            with_identifier(identifier, &config, |id| execute::run(&sk, &tool_name, &connection_name, id, &tool_input))
        }
        Operation::ProxyRequest(args) => {
            let flag = args.identifier.clone();
            with_identifier(flag, &config, |id| proxy::run(&sk, args, id))
        }
        Operation::GetAuthorization { connection_name, identifier } => {
            with_identifier(identifier, &config, |id| get_authorization::run(&sk, &connection_name, id))
        }
    }
}

/// Resolves the identifier (flag, then `TOOL_IDENTIFIER`, then a prompt in a terminal) and runs `f`.
fn with_identifier(
    flag: Option<String>,
    config: &Config,
    f: impl FnOnce(&str) -> Result<Success, Failure>,
) -> Result<Success, Failure> {
    let given = flag.or_else(|| config.default_identifier.clone()).filter(|s| !s.trim().is_empty());
    if let Some(identifier) = given {
        return f(identifier.trim());
    }
    let prompted = ask_identifier().ok_or_else(|| {
        Failure::new(
            Code::IdentifierRequired,
            "this operation acts for a user and needs an identifier",
            "Pass --identifier USER_ID or set TOOL_IDENTIFIER.",
        )
    })?;
    let warning = "no identifier was configured; set TOOL_IDENTIFIER (or pass --identifier) to skip the question".to_owned();
    match f(&prompted) {
        Ok(mut s) => {
            s.warnings.insert(0, warning);
            Ok(s)
        }
        Err(e) => Err(e.warn(vec![warning])),
    }
}

/// In a terminal, asks for the identifier on stderr.
fn ask_identifier() -> Option<String> {
    terminal_stdin::get_terminal_stdin()?;
    eprint!("Identifier of the user to act for (set TOOL_IDENTIFIER to skip this): ");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).ok()?;
    Some(line.trim().to_owned()).filter(|s| !s.is_empty())
}
