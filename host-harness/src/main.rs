//! `agent-auth`: runs the agent-auth component in its sandbox. See README.md.

use std::io::Write;
use std::process::ExitCode;

use agent_auth_host::error::{Code, RunnerError};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("sandbox") => return agent_auth_host::virtual_scalekit::command::main(&args[1..]),
        Some("demo") => return agent_auth_host::demo::main(),
        Some("mcp") => return agent_auth_host::mcp::main(&args[1..]),
        _ => {}
    }
    // `--raw` (`TOKEN=$(agent-auth --get-token S --raw)`): a failure, the runner's own included,
    // goes to stderr and leaves the captured stdout empty.
    let raw = agent_auth_contract::option::raw_output(&args);
    let (stdout, exit) = if args.first().is_some_and(|a| a == "compile") {
        agent_auth_host::compile::main(args[1..].to_vec())
    } else {
        call(args)
    };
    let mut out: Box<dyn Write> =
        if raw && exit != 0 { Box::new(std::io::stderr().lock()) } else { Box::new(std::io::stdout().lock()) };
    let _ = out.write_all(stdout.as_bytes());
    let _ = out.flush();
    ExitCode::from(exit)
}

/// One operation, run by the component: the JSON printed and the exit code.
fn call(args: Vec<String>) -> (String, u8) {
    // One thread: a call is one component, its few requests at a time.
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(agent_auth_host::runner::run(args)),
        Err(e) => {
            let err = RunnerError::new(Code::InternalError, format!("cannot start: {e}"), "Report this.");
            (err.to_json(), err.exit().code())
        }
    }
}
