//! `--list-connections`: every page of app connections; for a provider, select the first COMPLETED one.

use std::collections::BTreeSet;

use serde_json::Value;

use agent_auth_contract::option::{PAGE_SIZE, PROVIDER};

use super::account::not_completed;
use super::operation::{Context, RemoteOperation};
use crate::cli::{Args, usage};
use crate::output::{Code, Failure, Success};
use crate::scalekit::connections::{self, Connection, MAX_PAGE_SIZE};

/// `--list-connections [--provider P] [--page-size N]`.
pub struct ListConnections {
    provider: Option<String>,
    /// Scalekit's maximum by default, so the fewest round trips: every page is read anyway.
    page_size: u32,
}

impl RemoteOperation for ListConnections {
    fn parse(args: &Args) -> Result<Self, Failure> {
        let page_size = args.number(&PAGE_SIZE).unwrap_or(MAX_PAGE_SIZE.into());
        if !(1..=u64::from(MAX_PAGE_SIZE)).contains(&page_size) {
            return Err(usage(
                format!("--page-size {page_size} is out of range for --list-connections"),
                format!("Use a page size from 1 to {MAX_PAGE_SIZE} (Scalekit's maximum); every page is read anyway."),
            ));
        }
        Ok(ListConnections { provider: args.text(&PROVIDER).map(str::to_owned), page_size: page_size as u32 })
    }

    fn run(self, ctx: &Context) -> Result<Success, Failure> {
        list(ctx, self.provider.as_deref(), self.page_size)
    }
}

/// Lists connections, all of them or those of `provider`.
fn list(ctx: &Context, provider: Option<&str>, page_size: u32) -> Result<Success, Failure> {
    let all = connections::scan(&ctx.sk, page_size, |_| false)?;
    ctx.sk.cache.remember_connections(&all);
    let Some(provider) = provider else {
        let selected = all.iter().find(|c| c.is_completed()).map(|c| c.key_id.clone());
        return Ok(Success::default().with("connections", &all).with("selected", selected));
    };
    let provider = provider.trim().to_uppercase();
    let chosen = choose(&all, &provider)?;
    let mut success = Success::default()
        .with("provider", &provider)
        .with("connections", &chosen.matching)
        .with("selected", &chosen.selected.key_id);
    success.warnings.extend(chosen.warning);
    Ok(success)
}

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
