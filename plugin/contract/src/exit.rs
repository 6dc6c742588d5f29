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
    /// Every exit code, in order.
    pub const ALL: [Exit; 8] = [
        Exit::Ok,
        Exit::Internal,
        Exit::Usage,
        Exit::Config,
        Exit::ActionRequired,
        Exit::NotFound,
        Exit::Rejected,
        Exit::Transport,
    ];

    /// The process exit code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// What it means, in a few words (`--help` lists these).
    pub fn summary(self) -> &'static str {
        match self {
            Exit::Ok => "done",
            Exit::Internal => "internal error",
            Exit::Usage => "usage",
            Exit::Config => "configuration",
            Exit::ActionRequired => "a person must act (see action_required)",
            Exit::NotFound => "not found",
            Exit::Rejected => "rejected by Scalekit or the provider",
            Exit::Transport => "transport failure (retry later)",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Exit;

    #[test]
    fn all_is_every_code_in_order() {
        assert_eq!(Exit::ALL.map(Exit::code), [0, 1, 2, 3, 4, 5, 6, 7]);
    }
}
