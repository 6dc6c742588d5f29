//! Steps shared by the account-scoped operations: find the connection, find (or create) the
//! account, and tell the person how to authorize it when it is not active.

use agent_auth_contract::{rfc3339, shell};
use serde_json::{Map, Value};

use super::first_completed::{choose, not_completed};
use crate::clock;
use crate::link_states::{self, Binding};
use crate::output::{ActionRequired, Code, Failure};
use crate::scalekit::accounts::{self, Account, MagicLink, PENDING_VERIFICATION, VerifyRedirect};
use crate::scalekit::connections::{self, Connection, MAX_PAGE_SIZE};
use crate::scalekit::{ApiError, Scalekit};
use crate::schema;

/// The shortest connection name a single lookalike is offered for as `did_you_mean`.
const SUGGEST_MIN: usize = 4;

/// Step 1: the connection named `name`, from the listing a recent call remembered or read now (its
/// type decides how accounts authorize). Unknown → `CONNECTION_NOT_FOUND`; setup unfinished →
/// `CONNECTION_NOT_COMPLETED` (both checked against Scalekit, never against what was remembered).
pub fn find_connection(sk: &Scalekit, name: &str) -> Result<Connection, Failure> {
    let remembered = sk.cache.connections().and_then(|all| all.into_iter().find(|c| c.key_id == name));
    if let Some(connection) = remembered.filter(Connection::is_completed) {
        return Ok(connection);
    }
    let all = connections::scan(sk, MAX_PAGE_SIZE, |c| c.key_id == name)?;
    let Some(connection) = all.iter().find(|c| c.key_id == name).cloned() else {
        let mut similar: Vec<&str> = all.iter().filter(|c| c.resembles(name)).map(|c| c.key_id.as_str()).collect();
        if similar.is_empty() {
            similar.extend(schema::closest(name, all.iter().map(|c| c.key_id.as_str())));
        }
        let hint = if similar.is_empty() {
            "Find the connection name with agent-auth --list-connections --provider PROVIDER and pass its key_id."
                .to_owned()
        } else {
            format!(
                "Did you mean {}? Connection names are the key_id values of agent-auth --list-connections.",
                similar.join(" or ")
            )
        };
        let failure = Failure::new(Code::ConnectionNotFound, format!("no connection named {name}"), hint);
        // One candidate for a name long enough to go by: the command, corrected, becomes `next` (see `app`).
        return Err(match similar.as_slice() {
            [only] if name.chars().count() >= SUGGEST_MIN => failure.with("did_you_mean", only),
            _ => failure,
        });
    };
    if !connection.is_completed() {
        return Err(not_completed(&[&connection]));
    }
    Ok(connection)
}

/// Step 1 when only the provider is known: its first COMPLETED connection (from the listing a
/// recent call remembered, or read now), and the warning `--list-connections` gives when there
/// are several.
pub fn find_provider_connection(sk: &Scalekit, provider: &str) -> Result<(Connection, Option<String>), Failure> {
    let (all, from_cache) = connections::all(sk)?;
    match choose(&all, provider) {
        Ok(choice) => Ok((choice.selected.clone(), choice.warning)),
        // What was remembered may be older than the connection the person just finished.
        Err(_) if from_cache => {
            sk.cache.forget_connections();
            find_provider_connection(sk, provider)
        }
        Err(failure) => Err(failure),
    }
}

/// Step 2: the account of `identifier` on `connection`, as Scalekit has it now. For OAuth
/// connections a missing account is created (it then awaits authorization); other types return
/// `None` (the person creates it). What it finds is remembered for the next step.
pub fn find_or_create_account(
    sk: &Scalekit,
    connection: &Connection,
    identifier: &str,
) -> Result<Option<Account>, Failure> {
    let account = match accounts::details(sk, &connection.key_id, identifier)? {
        Some(account) => Some(account),
        None if connection.is_oauth() => match accounts::create(sk, &connection.key_id, identifier) {
            Ok(created) => Some(created),
            // The connection is gone (a remembered listing had it): say so as a fresh listing would.
            Err(ApiError::Status(r)) if r.status == 404 => {
                sk.cache.forget_connections();
                return Err(find_connection(sk, &connection.key_id)
                    .err()
                    .unwrap_or_else(|| ApiError::Status(r).into()));
            }
            Err(other) => return Err(other.into()),
        },
        None => None,
    };
    sk.cache.remember_account(&connection.key_id, identifier, account.as_ref());
    Ok(account)
}

/// Step 2 of a dry run: the account as Scalekit has it (remembered ACTIVE within the minute, or
/// asked now), creating and authorizing nothing. Missing or not active: `AUTHORIZATION_REQUIRED`,
/// pointing to the same command without `--dry-run` for the link.
pub fn active_account_as_is(sk: &Scalekit, connection: &Connection, identifier: &str) -> Result<Account, Failure> {
    if let Some(account) = sk.cache.active_account(&connection.key_id, identifier) {
        return Ok(account);
    }
    let account = accounts::details(sk, &connection.key_id, identifier)?;
    sk.cache.remember_account(&connection.key_id, identifier, account.as_ref());
    match account {
        Some(account) if account.is_active() => Ok(account),
        other => {
            let status = other.as_ref().map_or("NOT_FOUND", |a| a.status.as_str());
            Err(Failure::new(
                Code::AuthorizationRequired,
                format!("{} is not connected for {identifier} (status {status})", connection.key_id),
                "Run the same command without --dry-run: it says how the person authorizes (a link, or the dashboard).",
            )
            .with_fields(summary(connection, identifier, other.as_ref())))
        }
    }
}

/// The fields that describe an account check (`--generate-link` output).
pub fn summary(connection: &Connection, identifier: &str, account: Option<&Account>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("connection_name".into(), connection.key_id.clone().into());
    m.insert("identifier".into(), identifier.into());
    m.insert("connection_type".into(), connection.kind.clone().into());
    m.insert("connected_account_id".into(), account.map(|a| Value::from(a.id.clone())).unwrap_or(Value::Null));
    m.insert("status".into(), account.map(|a| Value::from(a.status.clone())).unwrap_or_else(|| "NOT_FOUND".into()));
    m.insert("active".into(), account.is_some_and(Account::is_active).into());
    m
}

/// Step 3 when the account cannot act: a fresh authorization link (OAuth) or the dashboard
/// instruction (API key, bearer, basic). `code` is the failure to report with it; an account
/// that waits for its verification is `VERIFICATION_PENDING` instead of `AUTHORIZATION_REQUIRED`.
pub fn authorization_needed(
    sk: &Scalekit,
    connection: &Connection,
    identifier: &str,
    account: Option<&Account>,
    code: Code,
    message: String,
) -> Failure {
    let name = &connection.key_id;
    if connection.is_oauth() {
        let pending = account.is_some_and(|a| a.status == PENDING_VERIFICATION);
        let code = if pending && code == Code::AuthorizationRequired { Code::VerificationPending } else { code };
        let link = match new_link(sk, name, identifier) {
            Ok(link) => link,
            Err(failure) => return failure,
        };
        let hint = match (sk.links.needs_wait(), pending) {
            (true, _) => format!(
                "Show the person the link verbatim, and keep `agent-auth --generate-link --connection-name {} --identifier {} --wait` running while they open it: it finishes the verification.",
                shell::word(name),
                shell::word(identifier)
            ),
            (_, true) => "The person approved, but the verification did not finish: show them this new link verbatim; once they are done, run the same command again.".to_owned(),
            _ => "Show the person the link verbatim; once they have authorized, run the same command again.".to_owned(),
        };
        return Failure::new(code, message, hint).action(ActionRequired {
            kind: "authorize".into(),
            message: format!("Open this link to connect {name} for {identifier}, then tell me when it is done."),
            link: Some(link.link),
            expires_at: link.expiry,
            links: None,
        });
    }
    let verb = match (account, code) {
        (_, Code::ProviderUnauthorized) => "update the credentials of",
        (Some(_), _) => "activate",
        (None, _) => "create",
    };
    Failure::new(
        code,
        message,
        format!("Ask the person to {verb} the account in the Scalekit dashboard; this connection type has no authorization link."),
    )
    .action(ActionRequired {
        kind: "dashboard_account_setup".into(),
        message: format!(
            "In the Scalekit dashboard (Agent Auth > Connected accounts), {verb} the {} account for {identifier} on {name} with its credentials.",
            connection.kind
        ),
        link: None,
        expires_at: None,
        links: None,
    })
}

/// A fresh authorization link for `identifier` on connection `name`. In custom verification it
/// carries the verify URL and a fresh `state`, remembered (before the link exists) with whom the
/// link is for: only that person's verification can finish it.
pub fn new_link(sk: &Scalekit, name: &str, identifier: &str) -> Result<MagicLink, Failure> {
    let Some(url) = sk.links.verify_url() else {
        return accounts::magic_link(sk, name, identifier, None).map_err(Failure::from);
    };
    if !sk.links.may_link_for(identifier) {
        let person = sk.links.route_person.as_deref().unwrap_or_default();
        return Err(Failure::new(
            Code::VerificationRefused,
            format!("links made here are finished in this machine's browser, for {person} only, not {identifier}"),
            "The loopback verify route confirms this machine's person (TOOL_IDENTIFIER): act for them, or have the operator set AGENT_AUTH_VERIFY_URL to a server route that knows each person.",
        )
        .with("reason", "not_this_machines_person"));
    }
    let dir = sk.state_dir.as_deref().ok_or_else(|| {
        Failure::new(
            Code::ConfigMissing,
            "custom user verification keeps each link's state, and there is no state folder",
            "Run the component with the agent-auth runner, which provides AGENT_AUTH_STATE_DIR.",
        )
    })?;
    let (state, now) = (link_states::fresh(), clock::now());
    let mut binding = Binding {
        environment: sk.env_url().to_owned(),
        connection: name.to_owned(),
        identifier: identifier.to_owned(),
        expires_at: link_states::expires_at(None, now),
        loopback_only: url.loopback().is_some(),
        used: false,
    };
    // Kept first: a link whose state could not be kept could never be finished.
    link_states::remember(dir, &state, binding.clone(), now)?;
    let link = accounts::magic_link(sk, name, identifier, Some(VerifyRedirect { url: url.as_str(), state: &state }))?;
    let expiry = link.expiry.as_deref().and_then(rfc3339::parse);
    if expiry.is_some() {
        binding.expires_at = link_states::expires_at(expiry, now);
        link_states::remember(dir, &state, binding, now)?;
    }
    Ok(link)
}

/// Explains a 404 for (connection, identifier): the connection or the account is missing.
pub fn missing_account(sk: &Scalekit, connection_name: &str, identifier: &str) -> Failure {
    match find_connection(sk, connection_name) {
        Err(f) => f,
        Ok(_) => Failure::new(
            Code::AccountNotFound,
            format!("{identifier} has no connected account on {connection_name}"),
            format!(
                "Create and authorize it: agent-auth --generate-link --connection-name {} --identifier {}",
                shell::word(connection_name),
                shell::word(identifier)
            ),
        ),
    }
}
