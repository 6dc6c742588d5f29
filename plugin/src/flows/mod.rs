//! The operations, each written as the steps an agent takes.

mod account;
mod errors;
mod input;
pub mod execute;
pub mod generate_link;
pub mod get_authorization;
pub mod get_tool;
pub mod list_connections;
pub mod proxy;
