//! The operations, each written as the steps an agent takes.

mod account;
pub mod audit_log;
pub mod doctor;
mod errors;
pub mod execute;
mod first_completed;
pub mod generate_link;
pub mod get_authorization;
pub mod get_tool;
mod input;
pub mod list_connections;
pub mod mcp_configs;
pub mod operation;
pub mod proxy;
pub mod tokens;
pub mod verify_user;
mod wait;
