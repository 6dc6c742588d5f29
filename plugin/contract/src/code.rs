//! The stable error codes of the component and the runner, and the exit code each maps to
//! (`docs/cli.md`, "Exit codes").

use serde::{Deserialize, Serialize};

use crate::exit::Exit;

/// A stable, machine-readable error code, from the component or from the runner. Agents branch on
/// these; never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Code {
    /// Bad flags or flag values.
    Usage,
    /// A JSON argument (`--tool-input`, `--body`, ...) does not parse or has the wrong shape.
    InvalidJson,
    /// Scalekit rejected the tool input against the tool's schema.
    InvalidToolInput,
    /// `--path` is not a provider path.
    InvalidPath,
    /// Scalekit rejected a request's arguments (other than tool input).
    InvalidRequest,
    /// A file named on the command line cannot be read.
    InputFileUnreadable,
    /// `--output-file` cannot be written.
    OutputFileUnwritable,
    /// A required variable is not set.
    ConfigMissing,
    /// A variable is set but unusable (for example an environment URL that is not a URL).
    ConfigInvalid,
    /// No identifier from `--identifier` or `TOOL_IDENTIFIER`.
    IdentifierRequired,
    /// `--doctor`: this machine's clock and the server's disagree by more than tokens tolerate.
    ClockSkew,
    /// `--doctor`: agent-auth's config or state folder cannot be written.
    FolderUnwritable,
    /// A file outside the folders the operator granted (`agent-auth mcp --files`), or one that no
    /// call reads or writes (credentials, `.env` files, start-up files).
    FileDenied,
    /// The operator's proxy policy (`AGENT_AUTH_PROXY_POLICY`) does not allow the request.
    ProxyPolicyDenied,
    /// `--audit-log --verify`: a line of the audit trail was changed, inserted or removed.
    AuditChainBroken,
    /// `--get-token SERVICE`: no mapping in `connections.json` and no connection of that name.
    ServiceNotConfigured,
    /// `--get-token` on an account with static credentials (API key, bearer, basic) without
    /// `--include-static`.
    IncludeStaticRequired,
    /// `--get-token --for-url`: no provider known to serve the URL's host.
    UnknownApiHost,
    /// Scalekit refused the client credentials or the token issued for them, or a hosted MCP
    /// server refused its URL or `TOOL_MCP_TOKEN`.
    InvalidCredentials,
    /// The operation needs the client credentials; only `--get-tool` and `--execute-tool` work
    /// with a hosted MCP URL alone.
    NotAvailableWithMcpUrl,
    /// The sandbox refused a request to a host other than the environment's.
    EgressDenied,
    /// The connected account must be authorized: through the link in `action_required` (OAuth) or
    /// in the Scalekit dashboard (API key, bearer, basic; `action_required.kind` tells which).
    AuthorizationRequired,
    /// The connection exists but its setup in the dashboard is not finished.
    ConnectionNotCompleted,
    /// The provider rejected the account's credentials; the person must re-authorize.
    ProviderUnauthorized,
    /// No connection with that name or provider.
    ConnectionNotFound,
    /// No connected account for that connection and identifier.
    AccountNotFound,
    /// No tool with that name.
    ToolNotFound,
    /// Scalekit answered 404 for something else.
    NotFound,
    /// The provider failed while running the tool.
    ToolError,
    /// The proxy is not enabled for this connection.
    ProxyDisabled,
    /// Scalekit or the provider asked us to slow down.
    RateLimited,
    /// Scalekit refused the operation for these credentials.
    PermissionDenied,
    /// The provider answered the proxied request with an error status.
    ProviderError,
    /// Any other error status from Scalekit.
    ScalekitError,
    /// DNS, connection or TLS failure.
    TransportError,
    /// A request, or the whole call (the runner's wall-clock limit), took too long.
    Timeout,
    /// A write's connection was lost after it was sent: it may or may not have run.
    OutcomeUnknown,
    /// A bug in agent-auth.
    InternalError,
    /// `--create-mcp-config`: a config of that name exists with other connections or tools.
    McpConfigConflict,
    /// No MCP config with that name.
    McpConfigNotFound,
    /// No MCP instance with that id.
    McpInstanceNotFound,
    /// The runner: `--env-file` (or `./.env`) cannot be read or parsed.
    EnvFileUnreadable,
    /// The runner: `--component` (or the checksum beside it) cannot be read.
    ComponentUnreadable,
    /// The runner: `--component` does not match the `.sha256` beside it.
    ComponentChecksumMismatch,
    /// The runner: `--component` is not a component it can run.
    ComponentInvalid,
    /// The runner: `agent-auth sandbox --port` cannot be listened on.
    PortUnavailable,
    /// The runner: the component needed more memory than the sandbox allows.
    MemoryLimit,
    /// The person approved, but the account waits for agent-auth to confirm them
    /// (`PENDING_VERIFICATION`): a new link, opened while the verify route runs, finishes it.
    VerificationPending,
    /// `--verify-user` refused the callback (unknown, used or expired `state`, another person, an
    /// authorization request Scalekit does not know), or a loopback link for someone other than
    /// this machine's person was not made; `reason` says which.
    VerificationRefused,
}

impl Code {
    /// Its name as the JSON gives it, e.g. `AUTHORIZATION_REQUIRED`.
    pub fn name(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
    }

    /// The exit code this error ends the call with.
    pub fn exit(self) -> Exit {
        use Code::*;
        match self {
            InternalError | MemoryLimit => Exit::Internal,
            Usage
            | InvalidJson
            | InvalidToolInput
            | InvalidPath
            | InputFileUnreadable
            | OutputFileUnwritable
            | IncludeStaticRequired => Exit::Usage,
            ConfigMissing
            | ConfigInvalid
            | IdentifierRequired
            | ClockSkew
            | FolderUnwritable
            | AuditChainBroken
            | FileDenied
            | ProxyPolicyDenied
            | InvalidCredentials
            | NotAvailableWithMcpUrl
            | EgressDenied
            | ServiceNotConfigured
            | EnvFileUnreadable
            | ComponentUnreadable
            | ComponentChecksumMismatch
            | ComponentInvalid
            | PortUnavailable => Exit::Config,
            AuthorizationRequired | ConnectionNotCompleted | ProviderUnauthorized | VerificationPending => {
                Exit::ActionRequired
            }
            ConnectionNotFound | AccountNotFound | ToolNotFound | NotFound | UnknownApiHost | McpConfigNotFound
            | McpInstanceNotFound => Exit::NotFound,
            InvalidRequest | ToolError | ProxyDisabled | RateLimited | PermissionDenied | ProviderError
            | ScalekitError | McpConfigConflict | VerificationRefused => Exit::Rejected,
            TransportError | Timeout | OutcomeUnknown => Exit::Transport,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_as_screaming_snake_case() {
        assert_eq!(serde_json::json!(Code::ConnectionNotCompleted), "CONNECTION_NOT_COMPLETED");
        assert_eq!(serde_json::json!(Code::InvalidJson), "INVALID_JSON");
    }

    #[test]
    fn exit_codes_follow_the_contract() {
        assert_eq!(Code::AuthorizationRequired.exit().code(), 4);
        assert_eq!(Code::ToolNotFound.exit().code(), 5);
        assert_eq!(Code::ProxyDisabled.exit().code(), 6);
        assert_eq!(Code::TransportError.exit().code(), 7);
        assert_eq!(Code::ServiceNotConfigured.exit().code(), 3);
        assert_eq!(Code::IncludeStaticRequired.exit().code(), 2);
        assert_eq!(Code::ComponentChecksumMismatch.exit().code(), 3);
        assert_eq!(Code::MemoryLimit.exit().code(), 1);
        assert_eq!(serde_json::json!(Code::PortUnavailable), "PORT_UNAVAILABLE");
        assert_eq!(Code::UnknownApiHost.exit().code(), 5);
    }
}
