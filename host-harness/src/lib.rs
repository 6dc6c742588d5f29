//! The agent-auth host: runs the agent-auth component (built from `plugin/`) under wasmtime in a
//! sandbox. The same library is the `agent-auth` runner users install and the test host that
//! intercepts the component's HTTP.
//!
//! - [`sandbox`]: what the component may see and do (variables, files, hosts, memory, time).
//! - [`outbound`]: the component's HTTP, checked against the egress policy, then sent for real or
//!   answered by an [`outbound::Interceptor`].
//! - [`component`]: the embedded component and its compilers; [`compile_cache`]: the compiled
//!   components, loaded only when this runner wrote them; [`compile`]: `agent-auth compile`, the
//!   optimised compilation (also made in the background).
//! - [`runtime`]: one invocation of the component.
//! - [`settings`]: the operator's settings, from the runner's own environment only;
//!   [`credentials`]: the connection settings, from that environment or one [`env_file`].
//! - [`command_line`]: the runner's command line, read once into what it asks for.
//! - [`setup`]: what every call of one runner shares (the compiled component, its variables,
//!   network, folders and limits) and what a call printed; [`error`]: the runner's own failures.
//! - [`cli`]: `agent-auth OPERATION`, one operation; [`mcp_server`]: `agent-auth mcp`, the same
//!   operations as MCP tools; [`verify_route`]: where a person's browser finishes an
//!   authorization link (custom user verification), in the pages of `agent-auth-html`.
//! - [`demo`]: `agent-auth demo`, the agent flow against the virtual Scalekit, the stand-in for
//!   Scalekit that is a crate of its own (`host-harness/virtual-scalekit`; also `agent-auth
//!   sandbox` and `TOOL_ENV_URL=sandbox`), built in with the default feature `virtual-scalekit`.

#![warn(missing_docs)]

pub mod cli;
pub mod command_line;
pub mod compile;
pub mod compile_cache;
pub mod component;
pub mod credentials;
#[cfg(feature = "virtual-scalekit")]
pub mod demo;
pub mod env_file;
pub mod error;
pub mod mcp_server;
pub mod outbound;
pub mod runtime;
pub mod sandbox;
pub mod settings;
pub mod setup;
pub mod verify_route;
