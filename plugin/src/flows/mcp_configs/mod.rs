//! MCP configs and per-user instances (the AgentKit flow for Claude Managed Agents and OpenClaw):
//! create a config once ([`configs`]), then ensure each user's instance and tell the person which
//! connections still need authorizing ([`instances`]), or create a session token for the
//! config's server URL ([`sessions`]).
//!
//! An instance's `url` is pre-authenticated, and a session token is a credential. They go into the
//! stdout JSON only: never into an error message, a hint, a progress line or the audit trail.

mod configs;
mod instances;
mod sessions;

use agent_auth_contract::option::{
    CONFIG_NAME, DESCRIPTION, EXPIRY, EXPIRY_DEFAULT_SECONDS, EXPIRY_SECONDS, INSTANCE_ID, NAME, TOOLS, WAIT,
};

use super::operation::{Context, RemoteOperation};
use crate::cli::{Args, usage};
use crate::output::{Failure, Success};
use crate::scalekit::mcp_configs::Mapping;

/// `--create-mcp-config --name N [--description D] --tools CONNECTION[:TOOLS]...`.
pub struct CreateConfig {
    name: String,
    description: Option<String>,
    mappings: Vec<Mapping>,
}

impl RemoteOperation for CreateConfig {
    fn parse(args: &Args) -> Result<Self, Failure> {
        let name = args.required(&NAME);
        configs::check_name(&name)?;
        let mappings = configs::parse_tools(args.all(&TOOLS))?;
        Ok(CreateConfig { name, description: args.text(&DESCRIPTION).map(str::to_owned), mappings })
    }

    fn run(self, ctx: &Context) -> Result<Success, Failure> {
        configs::create(&ctx.sk, &self.name, self.description.as_deref(), &self.mappings)
    }
}

/// `--list-mcp-configs`.
pub struct ListConfigs;

impl RemoteOperation for ListConfigs {
    fn parse(_: &Args) -> Result<Self, Failure> {
        Ok(ListConfigs)
    }

    fn run(self, ctx: &Context) -> Result<Success, Failure> {
        configs::list(&ctx.sk)
    }
}

/// `--ensure-mcp-instance --config-name N [--identifier I] [--wait [SECONDS]]`.
pub struct EnsureInstance {
    config_name: String,
    wait: Option<u64>,
}

impl RemoteOperation for EnsureInstance {
    fn parse(args: &Args) -> Result<Self, Failure> {
        Ok(EnsureInstance { config_name: args.required(&CONFIG_NAME), wait: args.number(&WAIT) })
    }

    fn run(self, ctx: &Context) -> Result<Success, Failure> {
        instances::ensure(&ctx.sk, &self.config_name, ctx.user(), self.wait)
    }
}

/// `--mcp-auth-state --instance-id ID`.
pub struct AuthState {
    instance_id: String,
}

impl RemoteOperation for AuthState {
    fn parse(args: &Args) -> Result<Self, Failure> {
        Ok(AuthState { instance_id: args.required(&INSTANCE_ID) })
    }

    fn run(self, ctx: &Context) -> Result<Success, Failure> {
        instances::auth_state(&ctx.sk, &self.instance_id)
    }
}

/// `--create-mcp-session-token --config-name N [--identifier I] [--expiry SECONDS]`.
pub struct CreateSessionToken {
    config_name: String,
    seconds: u64,
}

impl RemoteOperation for CreateSessionToken {
    fn parse(args: &Args) -> Result<Self, Failure> {
        let seconds = args.number(&EXPIRY).unwrap_or(EXPIRY_DEFAULT_SECONDS);
        if !EXPIRY_SECONDS.contains(&seconds) {
            return Err(usage(
                format!("--expiry {seconds} is out of range"),
                format!(
                    "Pass --expiry SECONDS from {} to {} (Scalekit's limits), or leave it out for {EXPIRY_DEFAULT_SECONDS}.",
                    EXPIRY_SECONDS.start(),
                    EXPIRY_SECONDS.end()
                ),
            ));
        }
        Ok(CreateSessionToken { config_name: args.required(&CONFIG_NAME), seconds })
    }

    fn run(self, ctx: &Context) -> Result<Success, Failure> {
        sessions::create(&ctx.sk, &self.config_name, ctx.user(), self.seconds)
    }
}
