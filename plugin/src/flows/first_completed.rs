//! The first-COMPLETED rule: of a provider's connections, the first whose dashboard setup is
//! finished (`COMPLETED`) is the one used; none at all is `CONNECTION_NOT_FOUND`, none finished is
//! `CONNECTION_NOT_COMPLETED`, and several say which others there are.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::output::{ActionRequired, Code, Failure};
use crate::scalekit::connections::Connection;

/// The connections of a provider, and the one to use.
pub struct Choice<'a> {
    /// Every connection of the provider.
    pub matching: Vec<&'a Connection>,
    /// The first COMPLETED one.
    pub selected: &'a Connection,
    /// Said when there are several COMPLETED ones.
    pub warning: Option<String>,
}

/// Chooses `provider`'s first COMPLETED connection in `all`: `CONNECTION_NOT_FOUND` when it has
/// none, `CONNECTION_NOT_COMPLETED` when none is completed, a warning naming the others.
pub fn choose<'a>(all: &'a [Connection], provider: &str) -> Result<Choice<'a>, Failure> {
    let matching: Vec<&Connection> = all.iter().filter(|c| c.provider_key.eq_ignore_ascii_case(provider)).collect();
    if matching.is_empty() {
        let known: BTreeSet<&str> = all.iter().map(|c| c.provider_key.as_str()).filter(|p| !p.is_empty()).collect();
        let hint = if known.is_empty() {
            "Create a connection for this provider in the Scalekit dashboard (Agent Auth > Connections).".to_owned()
        } else {
            format!(
                "Providers with connections here: {}. Create one for {provider} in the Scalekit dashboard if it is missing.",
                known.into_iter().collect::<Vec<_>>().join(", ")
            )
        };
        return Err(Failure::new(Code::ConnectionNotFound, format!("no connection for provider {provider}"), hint)
            .with("provider", provider)
            .with("connections", Vec::<Connection>::new())
            .with("selected", Value::Null));
    }
    let completed: Vec<&Connection> = matching.iter().copied().filter(|c| c.is_completed()).collect();
    let Some(&selected) = completed.first() else {
        return Err(not_completed(&matching)
            .with("provider", provider)
            .with("connections", &matching)
            .with("selected", Value::Null));
    };
    let warning = (completed.len() > 1).then(|| {
        let others: Vec<&str> = completed[1..].iter().map(|c| c.key_id.as_str()).collect();
        format!(
            "{} COMPLETED connections for {provider}; selected {} (others: {}). Pass --connection-name to use another.",
            completed.len(),
            selected.key_id,
            others.join(", ")
        )
    });
    Ok(Choice { matching, selected, warning })
}

/// `CONNECTION_NOT_COMPLETED` for connections whose dashboard setup is unfinished.
pub fn not_completed(connections: &[&Connection]) -> Failure {
    let names: Vec<String> = connections.iter().map(|c| format!("{} ({})", c.key_id, c.status)).collect();
    let message = format!("the connection setup is not finished: {}", names.join(", "));
    Failure::new(
        Code::ConnectionNotCompleted,
        message.clone(),
        "Ask the person to finish the connection's setup in the Scalekit dashboard (Agent Auth > Connections), then run the command again.",
    )
    .action(ActionRequired {
        kind: "complete_connection".into(),
        message: format!("Finish setting up {} in the Scalekit dashboard (Agent Auth > Connections).", connections.iter().map(|c| c.key_id.as_str()).collect::<Vec<_>>().join(", ")),
        link: None,
        expires_at: None,
        links: None,
    })
}
