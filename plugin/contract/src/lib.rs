//! What the agent-auth component (`plugin/`) and its runner (`host-harness/`) must agree on, stated
//! once: the operations and their options ([`operation`], [`option`]), the exit codes ([`exit`]),
//! agent-auth's folders and files ([`storage`]), which hosts are loopback ([`loopback`]), RFC 3339
//! time ([`rfc3339`]) and shell quoting ([`shell`]).
//!
//! The command-line contract these describe is `docs/cli.md`. No dependencies: this crate builds
//! for the guest (`wasm32-wasip2`) and for the host alike.

pub mod exit;
pub mod loopback;
pub mod operation;
pub mod option;
pub mod rfc3339;
pub mod shell;
pub mod storage;
