//! The virtual environment's records.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

/// The client credentials the environment accepts.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// `skc_...`
    pub client_id: String,
    /// The secret.
    pub client_secret: String,
}

/// An app connection.
#[derive(Debug, Clone)]
pub struct Connection {
    pub id: String,
    pub key_id: String,
    pub provider_key: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub proxy_enabled: bool,
    pub created_at: String,
}

impl Connection {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "provider": "CUSTOM", "type": self.kind, "status": self.status, "enabled": true,
            "organization_id": "", "ui_button_title": "", "domains": [], "organization_name": "",
            "provider_key": self.provider_key, "key_id": self.key_id, "created_at": self.created_at,
        })
    }
}

/// Stored credentials of an account.
#[derive(Debug, Clone)]
pub enum Auth {
    /// Nothing yet.
    None,
    /// OAuth tokens.
    OAuth { access_token: String, refresh_token: String, scopes: Vec<String> },
    /// Static fields (API key, ...).
    Static(Map<String, Value>),
}

/// A connected account.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub connector: String,
    pub identifier: String,
    pub provider: String,
    pub connection_id: String,
    pub status: &'static str,
    pub authorization_type: &'static str,
    pub token_expires_at: Option<String>,
    pub updated_at: String,
    pub auth: Auth,
}

impl Account {
    /// The account as JSON; with credentials only for the `/auth` endpoint.
    pub fn to_json(&self, with_secrets: bool) -> Value {
        let mut v = json!({
            "id": self.id, "identifier": self.identifier, "connector": self.connector, "provider": self.provider,
            "connection_id": self.connection_id, "status": self.status, "authorization_type": self.authorization_type,
            "token_expires_at": self.token_expires_at, "updated_at": self.updated_at, "last_used_at": null, "api_config": {},
        });
        if with_secrets {
            let details = match &self.auth {
                Auth::None => json!({}),
                Auth::OAuth { access_token, refresh_token, scopes } => json!({"oauth_token": {
                    "access_token": access_token, "refresh_token": refresh_token, "scopes": scopes, "domain": ""}}),
                Auth::Static(fields) => json!({"static_auth": {"details": fields}}),
            };
            v["authorization_details"] = details;
        }
        v
    }
}

/// A catalogue tool.
#[derive(Debug, Clone)]
pub struct Tool {
    pub id: String,
    pub provider: String,
    pub name: String,
    pub description: String,
    pub input_schema: Value,
    pub result: Value,
}

impl Tool {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "provider": self.provider,
            "definition": {"name": self.name, "description": self.description, "input_schema": self.input_schema},
            "metadata": {}, "tags": [], "is_default": true, "updated_at": "2026-06-01T00:00:00Z",
        })
    }
}

/// An authorization link.
#[derive(Debug, Clone)]
pub struct MagicLink {
    pub token: String,
    pub connector: String,
    pub identifier: String,
    pub expires: SystemTime,
    pub used: bool,
}

/// Everything the environment holds.
pub struct State {
    pub base_url: String,
    pub credentials: Option<Credentials>,
    pub issued_tokens: Vec<String>,
    pub connections: Vec<Connection>,
    pub accounts: Vec<Account>,
    pub tools: Vec<Tool>,
    pub links: Vec<MagicLink>,
    pub link_lifetime: Duration,
    pub counter: u64,
}

impl State {
    /// A fresh id with a prefix.
    pub fn next_id(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}_{:08}", 10_000_000 + self.counter * 7919 % 89_999_999)
    }

    pub fn connection(&self, key_id: &str) -> Option<&Connection> {
        self.connections.iter().find(|c| c.key_id == key_id)
    }

    pub fn account_index(&self, connector: &str, identifier: &str) -> Option<usize> {
        self.accounts.iter().position(|a| a.connector == connector && a.identifier == identifier)
    }

    /// Marks the link used and its account ACTIVE with fresh tokens.
    pub fn complete_link(&mut self, link: &str) -> Result<(), String> {
        let token = link.rsplit('/').next().unwrap_or_default();
        let index = self.links.iter().position(|l| l.token == token).ok_or("unknown authorization link")?;
        let now = SystemTime::now();
        let found = &self.links[index];
        if found.used {
            return Err("this authorization link was already used".into());
        }
        if found.expires < now {
            return Err("this authorization link has expired".into());
        }
        let (connector, identifier) = (found.connector.clone(), found.identifier.clone());
        self.links[index].used = true;
        let account = self.account_index(&connector, &identifier).ok_or("the account of this link no longer exists")?;
        let serial = self.next_id("tok");
        let account = &mut self.accounts[account];
        account.status = "ACTIVE";
        account.token_expires_at = Some(rfc3339(now + Duration::from_secs(3600)));
        account.updated_at = rfc3339(now);
        account.auth = Auth::OAuth {
            access_token: format!("ya29.virtual-{serial}-access"),
            refresh_token: format!("1//virtual-{serial}-refresh"),
            scopes: vec!["read".into(), "write".into()],
        };
        Ok(())
    }
}

/// RFC 3339 UTC text for a time.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(1_795_000_000)), "2026-11-18T11:06:40Z");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)), "2000-02-29T00:00:00Z");
    }
}
