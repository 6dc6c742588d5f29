//! `--list-connections`: every page of app connections; for a provider, select the first COMPLETED one.

use std::collections::BTreeSet;

use serde_json::Value;

use super::account::not_completed;
use crate::output::{Code, Failure, Success};
use crate::scalekit::Scalekit;
use crate::scalekit::connections::{self, Connection};

/// Lists connections, all of them or those of `provider`.
pub fn run(sk: &Scalekit, provider: Option<&str>, page_size: u32) -> Result<Success, Failure> {
    let all = connections::scan(sk, page_size, |_| false)?;
    let Some(provider) = provider else {
        let selected = all.iter().find(|c| c.is_completed()).map(|c| c.key_id.clone());
        return Ok(Success::default().with("connections", &all).with("selected", selected));
    };
    let provider = provider.trim().to_uppercase();
    let matching: Vec<&Connection> = all.iter().filter(|c| c.provider_key.eq_ignore_ascii_case(&provider)).collect();
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
            .with("provider", &provider)
            .with("connections", Vec::<Connection>::new())
            .with("selected", Value::Null));
    }
    let completed: Vec<&&Connection> = matching.iter().filter(|c| c.is_completed()).collect();
    let Some(first) = completed.first() else {
        return Err(not_completed(&matching)
            .with("provider", &provider)
            .with("connections", &matching)
            .with("selected", Value::Null));
    };
    let mut success =
        Success::default().with("provider", &provider).with("connections", &matching).with("selected", &first.key_id);
    if completed.len() > 1 {
        let others: Vec<&str> = completed[1..].iter().map(|c| c.key_id.as_str()).collect();
        success.warnings.push(format!(
            "{} COMPLETED connections for {provider}; selected {} (others: {}). Pass --connection-name to use another.",
            completed.len(),
            first.key_id,
            others.join(", ")
        ));
    }
    Ok(success)
}
