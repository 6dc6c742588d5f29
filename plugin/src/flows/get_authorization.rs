//! `--get-authorization`: what credentials the account holds, never their values.

use agent_auth_contract::option::CONNECTION_NAME;
use agent_auth_contract::shell;

use super::account::missing_account;
use super::operation::{Context, RemoteOperation};
use crate::cli::Args;
use crate::output::{Failure, Success};
use crate::scalekit::Scalekit;
use crate::scalekit::accounts;

/// `--get-authorization --connection-name C [--identifier I]`.
pub struct GetAuthorization {
    connection_name: String,
}

impl RemoteOperation for GetAuthorization {
    fn parse(args: &Args) -> Result<Self, Failure> {
        Ok(GetAuthorization { connection_name: args.required(&CONNECTION_NAME) })
    }

    fn run(self, ctx: &Context) -> Result<Success, Failure> {
        report(&ctx.sk, &self.connection_name, ctx.user())
    }
}

/// Reports status, type, token presence, scopes and expiry of the account.
fn report(sk: &Scalekit, connection_name: &str, identifier: &str) -> Result<Success, Failure> {
    let Some(facts) = accounts::authorization(sk, connection_name, identifier)? else {
        return Err(missing_account(sk, connection_name, identifier));
    };
    let mut success = Success::default()
        .with("connection_name", connection_name)
        .with("identifier", identifier)
        .with("connected_account_id", &facts.account.id)
        .with("status", &facts.account.status)
        .with("authorization_type", &facts.account.authorization_type)
        .with("has_access_token", facts.has_access_token)
        .with("has_refresh_token", facts.has_refresh_token)
        .with("scopes", &facts.scopes)
        .with("token_expires_at", &facts.account.token_expires_at)
        .with("static_fields", &facts.static_fields);
    if !facts.account.is_active() {
        success.warnings.push(format!(
            "the account is {}; authorize it with agent-auth --generate-link --connection-name {} --identifier {}",
            facts.account.status,
            shell::word(connection_name),
            shell::word(identifier)
        ));
    }
    Ok(success)
}
