//! `agent-auth mcp [--identifier I] [--expose CONNECTION:TOOL[,TOOL...]]... [--files DIR]...`:
//! Scalekit's tools as MCP tools over stdio
//! (rmcp). Each call runs the same component as the CLI, in a fresh sandboxed instance, with the
//! operation its tool names (the contract's `mcp_tools`); its JSON comes back as the tool's
//! result ([`reply`]).
//! stdout carries only MCP messages; diagnostics go to stderr.

mod reply;
mod server;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use agent_auth_contract::variables::IDENTIFIER;
use agent_auth_contract::verification::SERVED_VAR;
use rmcp::ServiceExt;

use crate::error::{Code, RunnerError};
use crate::runner::{self, Setup};
use crate::sandbox::Confinement;
use crate::settings::Settings;

/// What `agent-auth mcp` was started with.
#[derive(Debug, Default, PartialEq)]
pub struct McpOptions {
    /// `--identifier I`: the one user the server acts for (else `TOOL_IDENTIFIER`).
    pub identifier: Option<String>,
    /// `--files DIR`, repeated: the only folders `proxy_request` reads and writes files in.
    pub files: Vec<PathBuf>,
    /// `--expose CONNECTION:TOOL[,TOOL...]`, repeated: Scalekit tools served as tools of their
    /// own, each run on that connection.
    pub expose: Vec<(String, Vec<String>)>,
}

/// What `agent-auth mcp` was asked to do.
#[derive(Debug, PartialEq)]
pub enum Mcp {
    /// `--list-tools`: print the server's own tools as `tools/list` gives them, and stop (what an
    /// agent host registers before anyone calls).
    ListTools,
    /// Serve over stdio.
    Serve(McpOptions),
}

fn usage(message: impl Into<String>) -> RunnerError {
    RunnerError::new(
        Code::Usage,
        message,
        "Run agent-auth mcp [--identifier I] [--expose CONNECTION:TOOL[,TOOL...]]... [--files DIR]..., or agent-auth mcp --list-tools (see the README).",
    )
}

/// Reads the server's own options from `rest` (the runner's are already split off).
pub fn parse(rest: &[String]) -> Result<Mcp, RunnerError> {
    if rest.iter().any(|arg| arg == "--list-tools") {
        return match rest {
            [_] => Ok(Mcp::ListTools),
            _ => Err(usage("--list-tools lists the server's own tools and takes no other option")),
        };
    }
    let mut opts = McpOptions::default();
    let mut iter = rest.iter();
    while let Some(arg) = iter.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f, Some(v.to_owned())),
            None => (arg.as_str(), None),
        };
        let mut value =
            || inline.clone().or_else(|| iter.next().cloned()).ok_or_else(|| usage(format!("{flag} needs a value")));
        match flag {
            "--identifier" => opts.identifier = Some(value()?),
            "--files" => opts.files.push(PathBuf::from(value()?)),
            "--expose" => {
                let given = value()?;
                let (connection, names) = given.split_once(':').unwrap_or((given.as_str(), ""));
                let names: Vec<String> =
                    names.split(',').map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned).collect();
                if connection.trim().is_empty() || names.is_empty() {
                    return Err(usage(format!("--expose {given} names no connection or no tool")));
                }
                opts.expose.push((connection.trim().to_owned(), names));
            }
            other => return Err(usage(format!("agent-auth mcp does not take {other}"))),
        }
    }
    Ok(Mcp::Serve(opts))
}

/// `agent-auth mcp`: serves until the client closes stdin.
pub fn main(args: &[String]) -> ExitCode {
    let served = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| RunnerError::new(Code::InternalError, format!("cannot start: {e}"), "Report this."));
    let result = served.and_then(|runtime| runtime.block_on(serve(args.to_vec())));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("agent-auth mcp: {}\nhint: {}", e.message, e.hint);
            ExitCode::from(e.exit().code())
        }
    }
}

/// `agent-auth mcp --list-tools`: the server's own tools on stdout, as `tools/list` gives them.
fn list_tools() -> Result<(), RunnerError> {
    let listed = rmcp::model::ListToolsResult::with_all_items(server::meta_tools().collect());
    let json = serde_json::to_string(&listed).map_err(|e| {
        RunnerError::new(Code::InternalError, format!("the tools cannot be written: {e}"), "Report this.")
    })?;
    println!("{json}");
    Ok(())
}

async fn serve(args: Vec<String>) -> Result<(), RunnerError> {
    let split = runner::split_options(args)?;
    let opts = match parse(&split.rest)? {
        Mcp::ListTools => return list_tools(),
        Mcp::Serve(opts) => opts,
    };
    let cwd = runner::current_dir()?;
    let credentials = runner::credentials(&split, &cwd)?;
    let identifier = opts
        .identifier
        .clone()
        .or_else(|| credentials.get(IDENTIFIER).map(str::to_owned))
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| {
            RunnerError::new(
                Code::IdentifierRequired,
                "agent-auth mcp serves one user and none was named",
                "Pass --identifier USER_ID or set TOOL_IDENTIFIER: no tool takes an identifier, so a model cannot act for someone else.",
            )
        })?;
    for warning in &credentials.warnings {
        eprintln!("agent-auth mcp: warning: {warning}");
    }
    let confinement = Confinement::new(&cwd, &opts.files)?;
    let mut setup = Setup::new(Settings::from_process(), credentials, split.timeout.as_deref(), cwd)?;
    setup.confinement = Some(confinement);
    setup.env.retain(|(k, _)| k != IDENTIFIER.name);
    setup.env.push((IDENTIFIER.name.to_owned(), identifier.trim().to_owned()));
    setup.compile_in_background();
    let exposed = server::expose(&setup, &opts.expose).await?;
    // The person's browser comes back to the verify route whenever they approve a link, so the
    // server serves it for its whole life.
    let route = setup.verify_route().await;
    if route.is_some() {
        setup.env.push((SERVED_VAR.to_owned(), "1".to_owned()));
    }
    let setup = Arc::new(setup);
    if let Some(route) = route {
        let served = setup.clone();
        tokio::spawn(async move { route.serve(served.as_ref(), std::future::pending()).await });
    }
    let service = server::Server::new(setup, exposed).serve(rmcp::transport::stdio()).await.map_err(|e| {
        RunnerError::new(
            Code::InternalError,
            format!("the MCP session did not start: {e}"),
            "Check the client's command.",
        )
    })?;
    let _ = service.waiting().await;
    Ok(())
}
