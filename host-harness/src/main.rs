//! `agent-auth`: runs the agent-auth component in its sandbox. See README.md.

use std::io::Write;
use std::process::ExitCode;

use agent_auth_host::command_line::{CommandLine, Program, RunnerOptions, Words};
use agent_auth_host::error::{Code, RunnerError};

fn main() -> ExitCode {
    let line = CommandLine::read(std::env::args().skip(1).collect());
    let (stdout, exit) = match line.program {
        Ok(Program::VirtualScalekit(words)) => return serve_virtual_scalekit(&words),
        Ok(Program::Demo) => return demo(),
        Ok(Program::Mcp(runner, mcp)) => return agent_auth_host::mcp_server::main(runner, mcp),
        Ok(Program::Compile) => agent_auth_host::compile::main(),
        Ok(Program::Operation(runner, words)) => operation(runner, words),
        Err(e) if line.mcp => return agent_auth_host::mcp_server::refused(&e),
        Err(e) => (e.to_json(), e.exit().code()),
    };
    // `--raw`: a failure, the runner's own included, goes to stderr and leaves stdout empty.
    let mut out: Box<dyn Write> =
        if line.raw && exit != 0 { Box::new(std::io::stderr().lock()) } else { Box::new(std::io::stdout().lock()) };
    let _ = out.write_all(stdout.as_bytes());
    let _ = out.flush();
    ExitCode::from(exit)
}

/// One operation, run by the component: the JSON printed and the exit code.
fn operation(runner: RunnerOptions, words: Words) -> (String, u8) {
    // One thread: a call is one component, its few requests at a time.
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(agent_auth_host::cli::run(runner, words)),
        Err(e) => {
            let err = RunnerError::new(Code::InternalError, format!("cannot start: {e}"), "Report this.");
            (err.to_json(), err.exit().code())
        }
    }
}

/// `agent-auth sandbox`: the virtual Scalekit on loopback.
#[cfg(feature = "virtual-scalekit")]
fn serve_virtual_scalekit(words: &[String]) -> ExitCode {
    virtual_scalekit::command::main(words)
}

/// `agent-auth demo`: the agent flow against the virtual Scalekit.
#[cfg(feature = "virtual-scalekit")]
fn demo() -> ExitCode {
    agent_auth_host::demo::main()
}

/// Without the virtual Scalekit, neither `agent-auth sandbox` nor `agent-auth demo` is there.
#[cfg(not(feature = "virtual-scalekit"))]
fn without_virtual_scalekit() -> ExitCode {
    let err = RunnerError::new(
        Code::Usage,
        "this agent-auth is built without the virtual Scalekit (agent-auth sandbox, agent-auth demo)",
        "Use a build with the default features for agent-auth demo and agent-auth sandbox.",
    );
    print!("{}", err.to_json());
    ExitCode::from(err.exit().code())
}

#[cfg(not(feature = "virtual-scalekit"))]
fn serve_virtual_scalekit(_words: &[String]) -> ExitCode {
    without_virtual_scalekit()
}

#[cfg(not(feature = "virtual-scalekit"))]
fn demo() -> ExitCode {
    without_virtual_scalekit()
}
