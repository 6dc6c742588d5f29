//! What every operation is: read from the command line, then run. Local operations get agent-auth's
//! folders; remote ones also get Scalekit and the user they act for.

use crate::cli::Args;
use crate::hosted::HostedServer;
use crate::output::{Failure, Success};
use crate::scalekit::Scalekit;
use crate::storage::Storage;

/// An operation on agent-auth's local files; it needs no Scalekit credentials.
pub trait LocalOperation: Sized {
    /// Reads and checks the operation's options; nothing has run yet.
    fn parse(args: &Args) -> Result<Self, Failure>;
    /// Runs it.
    fn run(self, storage: &Storage) -> Result<Success, Failure>;
}

/// An operation that calls Scalekit.
pub trait RemoteOperation: Sized {
    /// Reads and checks the operation's options; nothing has been sent yet.
    fn parse(args: &Args) -> Result<Self, Failure>;
    /// Runs it.
    fn run(self, ctx: &Context) -> Result<Success, Failure>;
}

/// A remote operation that also runs through a hosted MCP server, which fixes the user.
pub trait HostedOperation: RemoteOperation {
    /// Runs it there.
    fn run_hosted(self, server: &HostedServer, storage: &Storage) -> Result<Success, Failure>;
}

/// What a remote operation runs with.
pub struct Context<'a> {
    /// The Scalekit environment.
    pub sk: Scalekit<'a>,
    /// agent-auth's folders.
    pub storage: &'a Storage,
    /// The user the operation acts for, resolved as its table entry says.
    pub identifier: Option<String>,
    /// `--agent-run-id` / `AGENT_RUN_ID`, for Scalekit's tool logs.
    pub agent_run_id: Option<&'a str>,
    /// Whether the runner's own loopback verify route made this call (never a command line).
    pub from_verify_route: bool,
}

impl Context<'_> {
    /// The user of an operation that acts for one ([`agent_auth_contract::operation::User::Required`]).
    pub fn user(&self) -> &str {
        self.identifier.as_deref().unwrap_or_default()
    }
}
