//! `agent-auth`: runs the agent-auth component in its sandbox. See README.md.

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("sandbox") => return agent_auth_host::serve::main(&args[1..]),
        Some("demo") => return agent_auth_host::demo::main(),
        _ => {}
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            println!(
                "{{\"ok\": false, \"error\": {{\"code\": \"INTERNAL_ERROR\", \"message\": \"cannot start: {e}\", \"hint\": \"Report this.\"}}, \"warnings\": []}}"
            );
            return ExitCode::from(1);
        }
    };
    let (stdout, code) = runtime.block_on(agent_auth_host::runner::run(args));
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(stdout.as_bytes());
    let _ = out.flush();
    ExitCode::from(code)
}
