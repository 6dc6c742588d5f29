//! `--list-connections`: every page of app connections; for a provider, select the first COMPLETED one.

use agent_auth_contract::option::{PAGE_SIZE, PROVIDER};

use super::first_completed::choose;
use super::operation::{Context, RemoteOperation};
use crate::cli::{Args, usage};
use crate::output::{Failure, Success};
use crate::scalekit::connections::{self, MAX_PAGE_SIZE};

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
