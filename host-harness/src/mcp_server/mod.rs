//! `agent-auth mcp [--identifier I] [--expose CONNECTION:TOOL[,TOOL...]]... [--files DIR]...`:
//! Scalekit's tools as MCP tools over stdio
//! (rmcp). Each call runs the same component as the CLI, in a fresh sandboxed instance, with the
//! operation its tool names (the contract's `mcp_tools`); its JSON comes back as the tool's
//! result ([`reply`]).
//! stdout carries only MCP messages; diagnostics go to stderr.

mod reply;
mod server;

use std::process::ExitCode;
use std::sync::Arc;

use agent_auth_contract::variables::IDENTIFIER;
use agent_auth_contract::verification::SERVED_VAR;
use rmcp::ServiceExt;

use crate::command_line::{Mcp, RunnerOptions};
use crate::credentials::Credentials;
use crate::error::{Code, RunnerError};
use crate::sandbox::Confinement;
use crate::settings::Settings;
use crate::setup::{self, Setup};

/// `agent-auth mcp`: serves until the client closes stdin.
pub fn main(runner: RunnerOptions, mcp: Mcp) -> ExitCode {
    let served = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| RunnerError::new(Code::InternalError, format!("cannot start: {e}"), "Report this."));
    let result = served.and_then(|runtime| runtime.block_on(serve(runner, mcp)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => refused(&e),
    }
}

/// Why the server does not start, on stderr (stdout carries only MCP messages), and its exit code.
pub fn refused(e: &RunnerError) -> ExitCode {
    eprintln!("agent-auth mcp: {}\nhint: {}", e.message, e.hint);
    ExitCode::from(e.exit().code())
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

async fn serve(runner: RunnerOptions, mcp: Mcp) -> Result<(), RunnerError> {
    let opts = match mcp {
        Mcp::ListTools => return list_tools(),
        Mcp::Serve(opts) => opts,
    };
    let cwd = setup::working_folder()?;
    let credentials = Credentials::of_call(runner.env_file.as_deref(), &cwd)?;
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
    let mut setup = Setup::new(Settings::from_process(), credentials, runner.timeout.as_deref(), cwd)?;
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
    let service = server::McpServer::new(setup, exposed).serve(rmcp::transport::stdio()).await.map_err(|e| {
        RunnerError::new(
            Code::InternalError,
            format!("the MCP session did not start: {e}"),
            "Check the client's command.",
        )
    })?;
    let _ = service.waiting().await;
    Ok(())
}
