//! Connected accounts: details, authorization facts, creation and magic links.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::pages::{Listing, Pages};
use super::{ApiError, Scalekit};

/// The status of an account the person approved that waits for agent-auth to confirm them
/// (custom user verification).
pub const PENDING_VERIFICATION: &str = "PENDING_VERIFICATION";

/// A connected account, without any credential.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
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

/// An account as the listing shows it: with the connection it belongs to.
#[derive(Debug, Clone, Deserialize)]
pub struct ListedAccount {
    /// The connection's name (its `key_id`).
    #[serde(default)]
    pub connector: String,
    /// The account.
    #[serde(flatten)]
    pub account: Account,
}

#[derive(Deserialize)]
struct AccountPage {
    #[serde(default)]
    connected_accounts: Vec<ListedAccount>,
    #[serde(default)]
    next_page_token: String,
}

impl Listing for AccountPage {
    type Item = ListedAccount;
    fn into_parts(self) -> (Vec<ListedAccount>, String) {
        (self.connected_accounts, self.next_page_token)
    }
}

/// Scalekit's largest page of accounts (it takes fewer than 100).
const ACCOUNTS_PAGE: u32 = 50;

/// `GET /api/v1/connected_accounts?identifier=I`: every account of `identifier`, on every connection.
pub fn of_identifier(sk: &Scalekit, identifier: &str) -> Result<Vec<ListedAccount>, ApiError> {
    let query = vec![("identifier", identifier.to_owned()), ("page_size", ACCOUNTS_PAGE.to_string())];
    Pages::<AccountPage>::new(sk, "/api/v1/connected_accounts", query, "account listing").all()
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

/// `GET /api/v1/connected_accounts/auth` as a plain JSON value (a typed decode error could quote a
/// credential); `None` when the account does not exist.
fn fetch_auth(sk: &Scalekit, connector: &str, identifier: &str) -> Result<Option<Value>, ApiError> {
    not_found_as_none(sk.get("/api/v1/connected_accounts/auth", &key_query(connector, identifier), "connected account"))
}

/// `GET /api/v1/connected_accounts/auth`, reduced at once to [`AuthorizationFacts`]: the credential
/// values are dropped here and go no further.
pub fn authorization(sk: &Scalekit, connector: &str, identifier: &str) -> Result<Option<AuthorizationFacts>, ApiError> {
    let Some(body) = fetch_auth(sk, connector, identifier)? else { return Ok(None) };
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

/// Where the person's browser goes after they approve (custom user verification), and the
/// `state` Scalekit adds to that URL.
pub struct VerifyRedirect<'a> {
    /// `user_verify_url`
    pub url: &'a str,
    /// `state`
    pub state: &'a str,
}

/// `POST /api/v1/connected_accounts/magic_link`: a fresh authorization link, sending the
/// browser to `verify` afterwards when given.
pub fn magic_link(
    sk: &Scalekit,
    connector: &str,
    identifier: &str,
    verify: Option<VerifyRedirect>,
) -> Result<MagicLink, ApiError> {
    let mut body = json!({"connector": connector, "identifier": identifier});
    if let Some(verify) = verify {
        body["user_verify_url"] = verify.url.into();
        body["state"] = verify.state.into();
    }
    sk.post_reading("/api/v1/connected_accounts/magic_link", &body, "magic link")
}

/// Scalekit's answer to a verification.
#[derive(Debug, Deserialize)]
pub struct Verified {
    /// Where to send the person's browser next (may be empty).
    #[serde(default)]
    pub post_user_verify_redirect_url: String,
}

/// `POST /api/v1/connected_accounts/user/verify`: confirms that `identifier` is the person who
/// approved the authorization request, which activates the account.
pub fn verify_user(sk: &Scalekit, auth_request_id: &str, identifier: &str) -> Result<Verified, ApiError> {
    let body = json!({"auth_request_id": auth_request_id, "identifier": identifier});
    sk.post("/api/v1/connected_accounts/user/verify", &body, "verification")
}

/// A credential value. It is printed only by `--get-token`'s result: `Debug` and every message
/// show `<redacted>`, and [`Secret::expose`] is the one way to read it.
#[derive(Clone, PartialEq)]
pub struct Secret(String);

impl Secret {
    /// The value, for the one place that hands it out.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The static credential fields of a non-OAuth account (`static_auth.details`: API key, user
/// name, password, ...). `Debug` shows only the field names.
#[derive(Clone, PartialEq)]
pub struct StaticFields(serde_json::Map<String, Value>);

impl StaticFields {
    /// The fields and their values, for the one place that hands them out.
    pub fn expose(&self) -> &serde_json::Map<String, Value> {
        &self.0
    }

    /// The field names (not secret).
    pub fn names(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

impl std::fmt::Debug for StaticFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("StaticFields").field(&self.names()).finish()
    }
}

/// What `--get-token` hands out, and nothing else from the account's credentials (no refresh
/// token, no id token).
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The account itself.
    pub account: Account,
    /// The provider access token (`oauth_token.access_token`, or `google_dwd.access_token`).
    pub access_token: Option<Secret>,
    /// When the access token expires (RFC 3339), if known.
    pub expires_at: Option<String>,
    /// The static credential fields, for API-key, bearer and basic accounts.
    pub static_fields: Option<StaticFields>,
}

/// `GET /api/v1/connected_accounts/auth` for `--get-token` only: the access token and the static
/// fields, wrapped so that they never reach `Debug` output or an error message. `None` when the
/// account does not exist.
pub fn credentials(sk: &Scalekit, connector: &str, identifier: &str) -> Result<Option<Credentials>, ApiError> {
    Ok(fetch_auth(sk, connector, identifier)?.map(credentials_from))
}

fn credentials_from(mut body: Value) -> Credentials {
    let mut raw = body.get_mut("connected_account").map(Value::take).unwrap_or(Value::Null);
    let details = raw.as_object_mut().and_then(|o| o.remove("authorization_details")).unwrap_or(Value::Null);
    let text = |v: Option<&Value>| v.and_then(Value::as_str).filter(|s| !s.trim().is_empty()).map(str::to_owned);
    let account = Account {
        id: text(raw.get("id")).unwrap_or_default(),
        status: text(raw.get("status")).unwrap_or_default(),
        authorization_type: text(raw.get("authorization_type")).unwrap_or_default(),
        token_expires_at: text(raw.get("token_expires_at")),
    };
    let mut credentials =
        Credentials { expires_at: account.token_expires_at.clone(), account, access_token: None, static_fields: None };
    if let Some(token) = text(details.pointer("/oauth_token/access_token")) {
        credentials.access_token = Some(Secret(token));
    } else if let Some(token) = text(details.pointer("/google_dwd/access_token")) {
        credentials.access_token = Some(Secret(token));
        credentials.expires_at = text(details.pointer("/google_dwd/token_expires_at")).or(credentials.expires_at);
    }
    if let Some(fields) = details.pointer("/static_auth/details").and_then(Value::as_object).filter(|f| !f.is_empty()) {
        credentials.static_fields = Some(StaticFields(fields.clone()));
    }
    credentials
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_keep_the_access_token_and_hide_it_from_debug() {
        let body = json!({"connected_account": {
            "id": "ca_1", "status": "ACTIVE", "authorization_type": "OAUTH", "token_expires_at": "2026-11-21T11:00:00Z",
            "authorization_details": {"oauth_token": {"access_token": "ya29.secret-access", "refresh_token": "1//secret-refresh", "scopes": ["a"]}}}});
        let c = credentials_from(body);
        assert_eq!(c.access_token.as_ref().map(Secret::expose), Some("ya29.secret-access"));
        assert_eq!(c.expires_at.as_deref(), Some("2026-11-21T11:00:00Z"));
        assert!(c.static_fields.is_none());
        let shown = format!("{c:?}");
        assert!(!shown.contains("secret-access") && !shown.contains("secret-refresh"), "{shown}");
    }

    #[test]
    fn credentials_keep_static_fields_and_show_only_their_names() {
        let body = json!({"connected_account": {"id": "ca_2", "status": "ACTIVE", "authorization_type": "API_KEY", "token_expires_at": "",
            "authorization_details": {"static_auth": {"details": {"api_key": "exa_live_secret"}}}}});
        let c = credentials_from(body);
        assert!(c.access_token.is_none());
        assert_eq!(c.expires_at, None);
        assert_eq!(c.static_fields.as_ref().unwrap().expose()["api_key"], "exa_live_secret");
        let shown = format!("{c:?}");
        assert!(shown.contains("api_key") && !shown.contains("exa_live_secret"), "{shown}");
    }

    #[test]
    fn google_dwd_tokens_count_as_access_tokens() {
        let body = json!({"connected_account": {"status": "ACTIVE", "authorization_type": "GOOGLE_DWD",
            "authorization_details": {"google_dwd": {"subject": "a@b.c", "access_token": "ya29.dwd", "token_expires_at": "2026-11-21T12:00:00Z"}}}});
        let c = credentials_from(body);
        assert_eq!(c.access_token.as_ref().map(Secret::expose), Some("ya29.dwd"));
        assert_eq!(c.expires_at.as_deref(), Some("2026-11-21T12:00:00Z"));
    }
}
