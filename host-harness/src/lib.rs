//! The agent-auth host: runs the agent-auth component (built from `plugin/`) under wasmtime in a
//! sandbox. The same library is the `agent-auth` runner users install and the test host that
//! intercepts the component's HTTP.
//!
//! - [`sandbox`]: what the component may see and do (variables, files, hosts, memory, time).
//! - [`outbound`]: the component's HTTP, checked against the egress policy, then sent for real or
//!   answered by an [`outbound::Interceptor`].
//! - [`component`]: the embedded component, its compilers and the compiled-component cache, and
//!   [`compile`]: `agent-auth compile`, the optimised compilation (also made in the background).
//! - [`runtime`]: one invocation of the component.
//! - [`runner`] and [`error`]: the `agent-auth` command and its own failures; [`mcp`]: `agent-auth
//!   mcp`, the same operations as MCP tools.
//! - [`virtual_scalekit`]: the stand-in for Scalekit (`agent-auth sandbox`, `TOOL_ENV_URL=sandbox`),
//!   and [`demo`]: `agent-auth demo`, the agent flow against it.

#![warn(missing_docs)]

pub mod compile;
pub mod component;
pub mod demo;
pub mod error;
pub mod mcp;
pub mod outbound;
pub mod runner;
pub mod runtime;
pub mod sandbox;
pub mod virtual_scalekit;
