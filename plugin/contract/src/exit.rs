//! The exit codes of `agent-auth`: what each means to the caller. The component's error codes and
//! the runner's own each map onto one of these.

/// An exit code of the command-line contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Done.
    Ok = 0,
    /// A bug in agent-auth.
    Internal = 1,
    /// Bad flags, invalid JSON, tool input that does not match the schema.
    Usage = 2,
    /// Configuration: credentials, environment URL, identifier, sandbox refusals.
    Config = 3,
    /// A person must act first (`action_required` says what).
    ActionRequired = 4,
    /// A connection, connected account, tool or other named thing does not exist.
    NotFound = 5,
    /// Scalekit or the provider refused: tool error, proxy disabled, rate limited, other statuses.
    Rejected = 6,
    /// DNS, connection, TLS or timeout: safe to retry later.
    Transport = 7,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        self as u8
    }
}
