//! Fetching a resolved service's credential: the account is found (or created), must be active,
//! and then hands out its access token, or its static fields when `--include-static` asks.

use agent_auth_contract::{rfc3339, shell};

use super::{Run, Target};
use crate::clock;
use crate::flows::account::{authorization_needed, find_or_create_account, summary};
use crate::output::{Code, Failure, Success};
use crate::scalekit::accounts::{self, Account};
use crate::scalekit::connections::Connection;

/// Account types whose credential is an access token; every other type holds static fields.
const TOKEN_TYPES: [&str; 3] = ["OAUTH", "OAUTH_M2M", "GOOGLE_DWD"];

impl Run<'_, '_> {
    /// Gets (or creates) the account and, when it is active, its access token or static fields.
    pub(super) fn fetch(&mut self, service: &str, target: Target) -> Result<Success, Failure> {
        let Target { connection, identifier } = target;
        let name = connection.key_id.clone();
        let context = |f: Failure| f.with("connection_name", &name).with("identifier", &identifier);
        let account = find_or_create_account(self.sk, &connection, &identifier).map_err(context)?;
        let active = match account {
            Some(account) if account.is_active() => account,
            other => return Err(self.authorize(service, &connection, &identifier, other.as_ref(), None)),
        };
        let static_only = !TOKEN_TYPES.contains(&if active.authorization_type.is_empty() {
            connection.kind.as_str()
        } else {
            active.authorization_type.as_str()
        });
        if static_only && !self.include_static {
            return Err(include_static_required(service, &connection, &identifier, &active));
        }
        let Some(credentials) = accounts::credentials(self.sk, &name, &identifier).map_err(|e| context(e.into()))?
        else {
            return Err(Failure::new(
                Code::AccountNotFound,
                format!("{identifier}'s account on {name} was removed while its token was being fetched"),
                "Run the same command again; it creates or finds the account anew.",
            )
            .with_fields(summary(&connection, &identifier, None)));
        };
        if !credentials.account.is_active() {
            return Err(self.authorize(service, &connection, &identifier, Some(&credentials.account), None));
        }
        let base =
            Success::default().with("service", service).with("connection_name", &name).with("identifier", &identifier);
        if let Some(token) = &credentials.access_token {
            let mut success = base
                .with("access_token", token.expose())
                .with("token_type", "Bearer")
                .with("expires_at", &credentials.expires_at);
            if let Some(expiry) =
                credentials.expires_at.as_deref().filter(|t| rfc3339::parse(t).is_some_and(|t| t <= clock::now()))
            {
                success.warnings.push(format!(
                    "Scalekit records this token as expired at {expiry}; if the provider rejects it, run agent-auth --get-token {} again in a minute (Scalekit refreshes tokens shortly before they expire)",
                    shell::word(service)
                ));
            }
            return Ok(success);
        }
        if let Some(fields) = &credentials.static_fields {
            if !self.include_static {
                return Err(include_static_required(service, &connection, &identifier, &credentials.account));
            }
            return Ok(base
                .with("authorization_type", &credentials.account.authorization_type)
                .with("static", fields.expose()));
        }
        let message =
            format!("Scalekit holds no access token for {name} and {identifier}, although the account is ACTIVE");
        Err(self.authorize(service, &connection, &identifier, Some(&credentials.account), Some(message)))
    }

    /// `AUTHORIZATION_REQUIRED` with a fresh link (OAuth) or the dashboard instruction.
    fn authorize(
        &self,
        service: &str,
        connection: &Connection,
        identifier: &str,
        account: Option<&Account>,
        message: Option<String>,
    ) -> Failure {
        let status = account.map_or("NOT_FOUND", |a| a.status.as_str());
        let message = message.unwrap_or_else(|| {
            format!("no token for {service}: {} is not connected for {identifier} (status {status})", connection.key_id)
        });
        authorization_needed(self.sk, connection, identifier, account, Code::AuthorizationRequired, message)
            .with_fields(summary(connection, identifier, account))
    }
}

/// `INCLUDE_STATIC_REQUIRED`: a non-OAuth account's credentials are printed only on request.
fn include_static_required(service: &str, connection: &Connection, identifier: &str, account: &Account) -> Failure {
    let kind = if account.authorization_type.is_empty() {
        connection.kind.as_str()
    } else {
        account.authorization_type.as_str()
    };
    Failure::new(
        Code::IncludeStaticRequired,
        format!(
            "{identifier}'s account on {} is of type {kind}: it holds static credentials (an API key, a bearer token or a password), not an OAuth access token, and agent-auth prints those only when asked",
            connection.key_id
        ),
        format!("If the script needs them, run again with --include-static: agent-auth --get-token {} --include-static", shell::word(service)),
    )
    .with_fields(summary(connection, identifier, Some(account)))
}
