//! How this agent-auth makes authorization links under the operator's user verification: the
//! mode and its verify URL, whether the runner serves the loopback route for this call, and the
//! person that route finishes links for.

use agent_auth_contract::verification::{Verification, VerifyUrl};

/// The operator's rules for links, as this call sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRules {
    /// Who may finish a link (`AGENT_AUTH_USER_VERIFICATION`, `AGENT_AUTH_VERIFY_URL`).
    pub verification: Verification,
    /// Whether the runner serves the loopback route for the whole call (a `--wait`, every call
    /// of `agent-auth mcp`).
    pub route_served: bool,
    /// The person of this machine (`TOOL_IDENTIFIER`), whom the loopback route finishes links
    /// for; anyone when unset.
    pub route_person: Option<String>,
}

impl LinkRules {
    /// The verify URL links carry, in custom verification.
    pub fn verify_url(&self) -> Option<&VerifyUrl> {
        match &self.verification {
            Verification::Custom(url) => Some(url),
            Verification::ScalekitUsers => None,
        }
    }

    /// Whether links go to the runner's own loopback route.
    pub fn to_loopback(&self) -> bool {
        self.verify_url().is_some_and(|url| url.loopback().is_some())
    }

    /// Whether a link finishes only if a wait is started for it: the loopback route, and nothing
    /// serving it for this call.
    pub fn needs_wait(&self) -> bool {
        self.to_loopback() && !self.route_served
    }

    /// Whether the person's link may be made here: the loopback route finishes links for this
    /// machine's person only (when it has one).
    pub fn may_link_for(&self, identifier: &str) -> bool {
        !self.to_loopback() || self.route_person.as_deref().is_none_or(|person| person == identifier)
    }
}
