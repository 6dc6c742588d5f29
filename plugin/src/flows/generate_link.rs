//! `--generate-link`: is the account ready? If not, how does the person authorize it? With
//! `--wait`, keep checking until they have.

use agent_auth_contract::option::{CONNECTION_NAME, PROVIDER, WAIT};

use super::account::{
    authorization_needed, find_connection, find_or_create_account, find_provider_connection, summary,
};
use super::operation::{Context, RemoteOperation};
use super::wait;
use crate::cli::Args;
use crate::output::{self, Code, Failure, Success};
use crate::scalekit::Scalekit;
use crate::scalekit::accounts::{self, Account};

/// `--generate-link (--connection-name C | --provider P) [--identifier I] [--wait [SECONDS]]`.
pub struct GenerateLink {
    target: Target,
    wait: Option<u64>,
}

/// Which connection the account is on.
enum Target {
    /// The one named.
    Connection(String),
    /// The provider's selected one (the first-COMPLETED rule of `--list-connections`).
    Provider(String),
}

impl RemoteOperation for GenerateLink {
    fn parse(args: &Args) -> Result<Self, Failure> {
        // The parser has checked that exactly one of the two is given.
        let target = match args.text(&PROVIDER).filter(|p| !p.trim().is_empty()) {
            Some(provider) => Target::Provider(provider.trim().to_uppercase()),
            None => Target::Connection(args.required(&CONNECTION_NAME)),
        };
        Ok(GenerateLink { target, wait: args.number(&WAIT) })
    }

    fn run(self, ctx: &Context) -> Result<Success, Failure> {
        match self.target {
            Target::Connection(name) => check(&ctx.sk, &name, ctx.user(), self.wait),
            Target::Provider(provider) => {
                let (connection, warning) = find_provider_connection(&ctx.sk, &provider)?;
                let checked = check(&ctx.sk, &connection.key_id, ctx.user(), self.wait);
                match warning {
                    Some(warning) => output::warned_first(checked, warning),
                    None => checked,
                }
            }
        }
    }
}

/// Checks the account of `identifier` on `connection_name`; exit 0 only when it is active.
fn check(sk: &Scalekit, connection_name: &str, identifier: &str, wait: Option<u64>) -> Result<Success, Failure> {
    let connection = find_connection(sk, connection_name)?;
    let account = find_or_create_account(sk, &connection, identifier)?;
    if account.as_ref().is_some_and(Account::is_active) {
        return Ok(Success {
            fields: summary(&connection, identifier, account.as_ref()),
            warnings: Vec::new(),
            raw: None,
        });
    }
    let status = account.as_ref().map_or("NOT_FOUND", |a| a.status.as_str()).to_owned();
    let message = format!("{connection_name} is not connected for {identifier} (status {status})");
    let needed =
        authorization_needed(sk, &connection, identifier, account.as_ref(), Code::AuthorizationRequired, message)
            .with_fields(summary(&connection, identifier, account.as_ref()));
    let Some(seconds) = wait else { return Err(needed) };
    // The person needs the link now, not when the wait is over.
    if let Some(action) = &needed.action_required {
        output::progress(&format!("waiting up to {seconds} s. {}", action.message));
        if let Some(link) = &action.link {
            output::progress(&format!("open: {link}"));
        }
    }
    let active = wait::until(seconds, |waited| match accounts::details(sk, connection_name, identifier)? {
        Some(account) if account.is_active() => Ok(Some(account)),
        other => {
            let now = other.as_ref().map_or("NOT_FOUND", |a| a.status.as_str());
            output::progress(&format!("still {now} after {waited} s"));
            Ok(None)
        }
    })?;
    if let Some(active) = active {
        output::progress(&format!("{connection_name} is connected for {identifier}"));
        return Ok(Success {
            fields: summary(&connection, identifier, Some(&active)),
            warnings: Vec::new(),
            raw: None,
        });
    }
    let mut timed_out = needed;
    timed_out.message = format!("{} after waiting {seconds} s", timed_out.message);
    timed_out.hint =
        "The link still works until it expires: show it to the person again, or run with a longer --wait.".into();
    Err(timed_out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{ParseOutcome, parse};

    fn target(args: &[&str]) -> Target {
        let argv = std::iter::once("agent-auth").chain(args.iter().copied()).map(String::from).collect();
        let Ok(ParseOutcome::Run(args)) = parse(argv) else { panic!("{args:?} parses") };
        GenerateLink::parse(&args).map(|op| op.target).unwrap_or_else(|_| panic!("{args:?}"))
    }

    #[test]
    fn a_blank_provider_is_no_choice_and_the_connection_named_is_used() {
        assert!(matches!(target(&["--generate-link", "--connection-name", "gmail", "--provider", " "]),
            Target::Connection(name) if name == "gmail"));
        assert!(matches!(target(&["--generate-link", "--provider", "notion"]), Target::Provider(p) if p == "NOTION"));
    }
}
