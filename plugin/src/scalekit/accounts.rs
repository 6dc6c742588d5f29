//! Connected accounts: details, authorization facts, creation and magic links.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, Scalekit};

/// A connected account, without any credential.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct Account {
    /// `ca_...`
    #[serde(default)]
    pub id: String,
    /// `ACTIVE`, `PENDING_AUTH`, `EXPIRED`, ...
    #[serde(default)]
    pub status: String,
    /// `OAUTH`, `API_KEY`, `BEARER_TOKEN`, ...
    #[serde(default)]
    pub authorization_type: String,
    /// When the provider token expires (RFC 3339), if known.
    #[serde(default)]
    pub token_expires_at: Option<String>,
}

impl Account {
    /// Whether tools and the proxy can act for this account.
    pub fn is_active(&self) -> bool {
        self.status == "ACTIVE"
    }
}

#[derive(Deserialize)]
struct AccountEnvelope {
    connected_account: Account,
}

/// What `--get-authorization` reports: presence and metadata of credentials, never their values.
#[derive(Debug, Clone, Default)]
pub struct AuthorizationFacts {
    /// The account itself.
    pub account: Account,
    /// An OAuth access token is stored.
    pub has_access_token: bool,
    /// An OAuth refresh token is stored.
    pub has_refresh_token: bool,
    /// Granted OAuth scopes.
    pub scopes: Vec<String>,
    /// Names of static credential fields (API key, user name, ...), for non-OAuth accounts.
    pub static_fields: Vec<String>,
}

fn key_query(connector: &str, identifier: &str) -> [(&'static str, String); 2] {
    [("connector", connector.to_owned()), ("identifier", identifier.to_owned())]
}

fn not_found_as_none<T>(result: Result<T, ApiError>) -> Result<Option<T>, ApiError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(ApiError::Status(e)) if e.status == 404 => Ok(None),
        Err(e) => Err(e),
    }
}

/// `GET /api/v1/connected_accounts/details`: the account without secrets, or `None` when there is none.
pub fn details(sk: &Scalekit, connector: &str, identifier: &str) -> Result<Option<Account>, ApiError> {
    let found: Option<AccountEnvelope> = not_found_as_none(sk.get(
        "/api/v1/connected_accounts/details",
        &key_query(connector, identifier),
        "connected account",
    ))?;
    Ok(found.map(|e| e.connected_account))
}

/// `GET /api/v1/connected_accounts/auth`, reduced at once to [`AuthorizationFacts`]: the credential
/// values are dropped here and go no further.
pub fn authorization(sk: &Scalekit, connector: &str, identifier: &str) -> Result<Option<AuthorizationFacts>, ApiError> {
    let found: Option<Value> = not_found_as_none(sk.get(
        "/api/v1/connected_accounts/auth",
        &key_query(connector, identifier),
        "connected account",
    ))?;
    let Some(body) = found else { return Ok(None) };
    let raw = body.get("connected_account").cloned().unwrap_or(Value::Null);
    let account: Account = serde_json::from_value(raw.clone()).unwrap_or_default();
    let details = raw.get("authorization_details").cloned().unwrap_or(Value::Null);
    let present = |v: Option<&Value>| v.and_then(Value::as_str).is_some_and(|s| !s.is_empty());
    let mut facts = AuthorizationFacts { account, ..Default::default() };
    if let Some(oauth) = details.get("oauth_token") {
        facts.has_access_token = present(oauth.get("access_token"));
        facts.has_refresh_token = present(oauth.get("refresh_token"));
        facts.scopes = oauth
            .get("scopes")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
    }
    if let Some(fields) = details.pointer("/static_auth/details").and_then(Value::as_object) {
        facts.static_fields = fields.keys().cloned().collect();
    }
    Ok(Some(facts))
}

/// `POST /api/v1/connected_accounts`: creates an account awaiting authorization.
pub fn create(sk: &Scalekit, connector: &str, identifier: &str) -> Result<Account, ApiError> {
    let body = json!({"connector": connector, "identifier": identifier, "connected_account": {}});
    let created: AccountEnvelope = sk.post("/api/v1/connected_accounts", &body, "created account")?;
    Ok(created.connected_account)
}

/// An authorization ("magic") link.
#[derive(Debug, Clone, Deserialize)]
pub struct MagicLink {
    /// The URL a person opens.
    pub link: String,
    /// When it stops working.
    #[serde(default)]
    pub expiry: Option<String>,
}

/// `POST /api/v1/connected_accounts/magic_link`: a fresh authorization link.
pub fn magic_link(sk: &Scalekit, connector: &str, identifier: &str) -> Result<MagicLink, ApiError> {
    let body = json!({"connector": connector, "identifier": identifier});
    sk.post("/api/v1/connected_accounts/magic_link", &body, "magic link")
}
