//! `--generate-link`: is the account ready? If not, how does the person authorize it?

use super::account::{authorization_needed, find_connection, find_or_create_account, summary};
use crate::output::{Code, Failure, Success};
use crate::scalekit::Scalekit;
use crate::scalekit::accounts::Account;

/// Checks the account of `identifier` on `connection_name`; exit 0 only when it is active.
pub fn run(sk: &Scalekit, connection_name: &str, identifier: &str) -> Result<Success, Failure> {
    let connection = find_connection(sk, connection_name)?;
    let account = find_or_create_account(sk, &connection, identifier)?;
    let fields = summary(&connection, identifier, account.as_ref());
    if account.as_ref().is_some_and(Account::is_active) {
        return Ok(Success { fields, warnings: Vec::new() });
    }
    let status = account.as_ref().map_or("NOT_FOUND", |a| a.status.as_str());
    let message = format!("{connection_name} is not connected for {identifier} (status {status})");
    Err(authorization_needed(sk, &connection, identifier, account.as_ref(), Code::AuthorizationRequired, message).with_fields(fields))
}
