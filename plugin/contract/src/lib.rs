//! What the agent-auth component (`plugin/`) and its runner (`host-harness/`) must agree on, stated
//! once: the operations and their options ([`operation`], [`option`]), the error codes and exit
//! codes ([`code`], [`exit`]), the variables the component reads ([`variables`]),
//! agent-auth's folders and files ([`storage`]), the most held in memory ([`sizes`]), which
//! hosts are loopback ([`loopback`]), RFC 3339 time ([`rfc3339`]) and shell quoting ([`shell`]).
//! The runner calls the component through [`call`] (a typed operation, written as the command
//! line the component parses) and serves the MCP tools of [`mcp_tools`]; what a call prints is
//! [`printed`], written by the component and read back by the runner.
//!
//! The command-line contract these describe is `docs/cli.md`. It depends on serde and serde_json
//! alone, so it builds for the guest (`wasm32-wasip2`) and for the host alike.

#![warn(missing_docs)]

pub mod call;
pub mod code;
pub mod exit;
pub mod http_date;
pub mod loopback;
pub mod mcp_tools;
pub mod operation;
pub mod option;
pub mod printed;
pub mod rfc3339;
pub mod shell;
pub mod sizes;
pub mod storage;
pub mod variables;
pub mod verification;
