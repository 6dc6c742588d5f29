//! The agent-auth component: every step an agent takes with Scalekit AgentKit (discover the
//! connection, check or authorize the account, list tools, read a schema, execute, fall back to
//! the proxy) behind the command-line contract of `docs/cli.md`.
//!
//! The component is a WASI 0.2 command built from `wit/world.wit`. It prints exactly one JSON
//! object on stdout and exits with the contract's exit code through `exit-with-code`.

#![warn(missing_docs)]

mod app;
mod audit;
mod cli;
mod clock;
mod config;
mod digest;
mod files;
mod flows;
mod hosted;
mod http;
mod link_rules;
mod link_states;
mod lock;
mod output;
mod relevance;
mod results;
mod scalekit;
mod schema;
mod storage;

mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "agent-auth:component/tool-executor",
        generate_all,
    });
}

use bindings::exports::wasi::cli::run::Guest;
use bindings::wasi::cli::{environment, exit};

struct Component;

impl Guest for Component {
    fn run() -> Result<(), ()> {
        output::install_panic_hook();
        let code = app::main(environment::get_arguments(), environment::get_environment());
        output::flush();
        exit::exit_with_code(code);
        Ok(())
    }
}

bindings::export!(Component with_types_in bindings);
