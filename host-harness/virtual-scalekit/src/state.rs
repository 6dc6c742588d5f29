//! The virtual environment's records.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agent_auth_contract::rfc3339;
use serde_json::{Map, Value, json};

use super::workspace::Workspace;
use sha2::{Digest, Sha256};

/// The client credentials the environment accepts.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// `skc_...`
    pub client_id: String,
    /// The secret.
    pub client_secret: String,
}

/// A file uploaded to the virtual Notion: created by `POST /v1/file_uploads`, filled by `/send`.
#[derive(Debug, Clone)]
pub struct NotionUpload {
    /// The upload's id (a UUID).
    pub id: String,
    /// The identifier whose account created it (only that account sees it).
    pub owner: String,
    /// The file's name and content type, once sent.
    pub filename: String,
    /// The content type of the sent part.
    pub content_type: String,
    /// The sent bytes; `None` while the upload is pending.
    pub bytes: Option<bytes::Bytes>,
}

/// A Notion block appended to a page (or to another block).
#[derive(Debug, Clone)]
pub struct NotionBlock {
    /// The block's id (a UUID).
    pub id: String,
    /// The identifier whose account made it.
    pub owner: String,
    /// The page or block it was appended to, as the request named it.
    pub parent: String,
    /// What it holds.
    pub content: BlockContent,
}

/// What a Notion block holds.
#[derive(Debug, Clone)]
pub enum BlockContent {
    /// A paragraph of text.
    Paragraph(String),
    /// A sent upload (`upload_id`).
    File(String),
}

/// An app connection.
#[derive(Debug, Clone)]
pub struct Connection {
    /// `conn_...`
    pub id: String,
    /// The connection name (`connector` in account calls).
    pub key_id: String,
    /// Upper-case provider, e.g. `NOTION`.
    pub provider_key: String,
    /// Connection type: `OAUTH`, `API_KEY`, `BEARER` or `BASIC`.
    pub kind: &'static str,
    /// `DRAFT`, `IN_PROGRESS` or `COMPLETED`.
    pub status: &'static str,
    /// Whether `/proxy` serves this connection.
    pub proxy_enabled: bool,
    /// RFC 3339 creation time.
    pub created_at: String,
}

impl Connection {
    /// The connection as a `ListConnection`.
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
    OAuthTokens { access_token: String, refresh_token: String, scopes: Vec<String> },
    /// Static fields (API key, ...).
    Static(Map<String, Value>),
}

/// A connected account.
#[derive(Debug, Clone)]
pub struct Account {
    /// `ca_...`
    pub id: String,
    /// The connection name.
    pub connector: String,
    /// The caller's user identifier.
    pub identifier: String,
    /// Lower-case provider, e.g. `notion`.
    pub provider: String,
    /// The connection's `conn_...` id.
    pub connection_id: String,
    /// `ACTIVE`, `EXPIRED`, `PENDING_AUTH`, ...
    pub status: &'static str,
    /// `OAUTH`, `API_KEY`, `BEARER_TOKEN`, ...
    pub authorization_type: &'static str,
    /// When the provider token expires (OAuth accounts with tokens).
    pub token_expires_at: Option<String>,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
    /// The stored credentials.
    pub auth: Auth,
    /// The provider refuses the stored credentials (revoked at the provider) while Scalekit still
    /// shows the account as it was; a completed authorization clears it.
    pub provider_refuses: bool,
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
                Auth::OAuthTokens { access_token, refresh_token, scopes } => json!({"oauth_token": {
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
    /// `tol_...`
    pub id: String,
    /// Upper-case provider.
    pub provider: String,
    /// `<slug>_<action>`
    pub name: String,
    /// What the tool does.
    pub description: String,
    /// JSON Schema of `params`.
    pub input_schema: Value,
    /// What it does with them.
    pub behaviour: Behaviour,
}

impl Tool {
    /// The tool as the catalogue lists it.
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
    /// The last path segment of `{base_url}/magic/{token}`.
    pub token: String,
    /// The connection name.
    pub connector: String,
    /// The account's identifier.
    pub identifier: String,
    /// When it stops working.
    pub expires: SystemTime,
    /// Whether a person already completed it.
    pub used: bool,
    /// Where the browser goes after consent, and the `state` it carries (custom verification).
    pub verify: Option<VerifyTarget>,
}

/// A link's `user_verify_url` and `state`.
#[derive(Debug, Clone)]
pub struct VerifyTarget {
    /// `user_verify_url`
    pub url: String,
    /// `state` (may be empty)
    pub state: String,
}

/// A consent waiting for the app to verify the person (custom verification).
#[derive(Debug, Clone)]
pub struct AuthRequest {
    /// `auth_request_id`, as the verify URL carries it.
    pub id: String,
    /// The account it activates.
    pub account: usize,
    /// The identifier stored when the link was made: the only one that verifies.
    pub identifier: String,
    /// Whether it was verified (it then verifies nothing more).
    pub used: bool,
}

/// What completing a link did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completed {
    /// The account (its index) is ACTIVE.
    Active(usize),
    /// The account waits in PENDING_VERIFICATION; the browser goes to this URL.
    Verify(String),
}

impl MagicLink {
    /// Why the link cannot be completed at `now`, if it cannot.
    pub fn refusal(&self, now: SystemTime) -> Option<LinkRefusal> {
        if self.used {
            Some(LinkRefusal::Used)
        } else if self.expires <= now {
            Some(LinkRefusal::Expired)
        } else {
            None
        }
    }
}

/// Why an authorization link cannot be completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    /// No such link (or its account is gone).
    Unknown,
    /// A person already completed it.
    Used,
    /// Its lifetime is over.
    Expired,
    /// Custom verification, and the link was made without a `user_verify_url`.
    NoVerifyUrl,
}

impl fmt::Display for LinkRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LinkRefusal::Unknown => "unknown authorization link",
            LinkRefusal::Used => "this authorization link was already used",
            LinkRefusal::Expired => "this authorization link has expired",
            LinkRefusal::NoVerifyUrl => "failed_to_exchange: user_verify_url not configured for verification redirect",
        })
    }
}

/// One connection (and the tools it exposes) of an MCP config.
#[derive(Debug, Clone)]
pub struct McpMapping {
    /// The connection's `conn_...` id.
    pub connection_id: String,
    /// The connection name.
    pub connection_name: String,
    /// Upper-case provider.
    pub provider: String,
    /// Tool names; empty means all of the provider's tools.
    pub tools: Vec<String>,
}

/// An MCP config: a named set of connections and tools.
#[derive(Debug, Clone)]
pub struct McpConfig {
    /// `cfg_...`
    pub id: String,
    /// Unique name (`[a-z0-9_-]`, 1-100).
    pub name: String,
    /// Free text.
    pub description: String,
    /// The connections and their tools.
    pub mappings: Vec<McpMapping>,
    /// `{base_url}/mcp/v3/servers/{uuid}`
    pub mcp_server_url: String,
}

impl McpConfig {
    /// The config as `McpConfig` JSON.
    pub fn to_json(&self) -> Value {
        let mappings: Vec<Value> = self
            .mappings
            .iter()
            .map(|m| json!({"connection_id": m.connection_id, "connection_name": m.connection_name, "provider": m.provider, "tools": m.tools}))
            .collect();
        json!({"id": self.id, "name": self.name, "description": self.description, "connection_tool_mappings": mappings, "mcp_server_url": self.mcp_server_url})
    }
}

/// A user's instance of an MCP config (its `Debug` hides the URL and the secret).
#[derive(Clone)]
pub struct McpInstance {
    /// `mcpi_...`
    pub id: String,
    /// Display name.
    pub name: String,
    /// The user it serves.
    pub user_identifier: String,
    /// The config's `cfg_...` id.
    pub config_id: String,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
    /// The pre-authenticated MCP URL (`{base_url}/mcp/v3/instances/{id}?token={secret}`).
    pub url: String,
    /// The `token` of [`McpInstance::url`]: whoever has it acts as the user.
    pub secret: String,
}

/// A session token for a config's server URL (`POST /api/v1/mcp/configs/{id}/tokens`; its
/// `Debug` hides the token).
#[derive(Clone)]
pub struct McpSessionToken {
    /// The bearer value.
    pub token: String,
    /// The config it opens.
    pub config_id: String,
    /// The user it acts for.
    pub identifier: String,
    /// When it stops working.
    pub expires: SystemTime,
}

impl fmt::Debug for McpInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpInstance")
            .field("id", &self.id)
            .field("user_identifier", &self.user_identifier)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for McpSessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpSessionToken")
            .field("config_id", &self.config_id)
            .field("identifier", &self.identifier)
            .finish_non_exhaustive()
    }
}

impl McpInstance {
    /// The instance as JSON, embedding its `config`.
    pub fn to_json(&self, config: &McpConfig) -> Value {
        json!({
            "id": self.id, "name": self.name, "user_identifier": self.user_identifier, "config": config.to_json(),
            "last_used_at": null, "updated_at": self.updated_at, "url": self.url,
        })
    }
}

/// Everything the environment holds.
pub struct State {
    /// Where the environment is served, without a trailing slash.
    pub base_url: String,
    /// The accepted client credentials (any non-empty pair when `None`).
    pub credentials: Option<Credentials>,
    /// Bearer tokens handed out by `/oauth/token`.
    pub issued_tokens: Vec<String>,
    /// How many of them were revoked (and are no longer in `issued_tokens`).
    pub revoked_tokens: usize,
    /// Every request answered (see [`super::VirtualScalekit::served`]).
    pub requests: Vec<super::Request>,
    /// App connections, in listing order.
    pub connections: Vec<Connection>,
    /// Connected accounts, in creation order.
    pub accounts: Vec<Account>,
    /// The tool catalogue.
    pub tools: Vec<Tool>,
    /// Every authorization link issued.
    pub links: Vec<MagicLink>,
    /// How long a new link stays valid.
    pub link_lifetime: Duration,
    /// "Custom user verification": a consent waits for `POST .../user/verify`.
    pub custom_verification: bool,
    /// Consents waiting for (or done with) their verification.
    pub auth_requests: Vec<AuthRequest>,
    /// MCP configs, in creation order.
    pub mcp_configs: Vec<McpConfig>,
    /// MCP instances, in creation order.
    pub mcp_instances: Vec<McpInstance>,
    /// Session tokens issued for config server URLs.
    pub mcp_session_tokens: Vec<McpSessionToken>,
    /// Files uploaded to the virtual Notion.
    pub notion_uploads: Vec<NotionUpload>,
    /// Notion file blocks.
    pub notion_blocks: Vec<NotionBlock>,
    /// What the providers hold.
    pub workspace: Workspace,
    /// Feeds [`State::next_id`] and [`State::secret`].
    pub counter: u64,
}

/// A provider's refusal: its code and message (`tool_error_info`).
#[derive(Debug, Clone, PartialEq)]
pub struct ToolFailure {
    /// The provider's code, e.g. `channel_not_found`.
    pub code: &'static str,
    /// The provider's message.
    pub message: String,
}

/// What a tool does: given the environment, the user it runs for and its (schema-checked) input,
/// the provider's answer or its refusal.
pub type Behaviour = fn(&mut State, &str, &Value) -> Result<Value, ToolFailure>;

impl State {
    /// A fresh id with a prefix.
    pub fn next_id(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}_{:08}", 10_000_000 + self.counter * 7919 % 89_999_999)
    }

    /// A Notion-style UUID.
    pub fn uuid(&mut self) -> String {
        let hex = self.secret();
        format!("{}-{}-4{}-8{}-{}", &hex[..8], &hex[8..12], &hex[13..16], &hex[17..20], &hex[20..32])
    }

    /// 64 fresh hex digits that look like a secret.
    pub fn secret(&mut self) -> String {
        self.counter += 1;
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let digest = Sha256::digest(format!("{}|{}|{nanos}", self.base_url, self.counter));
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The connection named `key_id`.
    pub fn connection(&self, key_id: &str) -> Option<&Connection> {
        self.connections.iter().find(|c| c.key_id == key_id)
    }

    /// Where the account of (`connector`, `identifier`) is in [`State::accounts`].
    pub fn account_index(&self, connector: &str, identifier: &str) -> Option<usize> {
        self.accounts.iter().position(|a| a.connector == connector && a.identifier == identifier)
    }

    /// The account of (`connector`, `identifier`) when it is ACTIVE.
    pub fn active_account(&self, connector: &str, identifier: &str) -> Option<&Account> {
        self.account_index(connector, identifier).map(|i| &self.accounts[i]).filter(|a| a.status == "ACTIVE")
    }

    /// Adds a PENDING_AUTH account on connection `connector`; `None` when there is no such connection.
    pub fn add_account(&mut self, connector: &str, identifier: &str) -> Option<usize> {
        let connection = self.connection(connector)?.clone();
        let id = self.next_id("ca");
        let authorization_type = match connection.kind {
            "OAUTH" => "OAUTH",
            "API_KEY" => "API_KEY",
            "BEARER" => "BEARER_TOKEN",
            "BASIC" => "BASIC_AUTH",
            _ => "CUSTOM",
        };
        self.accounts.push(Account {
            id,
            connector: connector.into(),
            identifier: identifier.into(),
            provider: connection.provider_key.to_lowercase(),
            connection_id: connection.id,
            status: "PENDING_AUTH",
            authorization_type,
            token_expires_at: None,
            updated_at: rfc3339::format_system_time(SystemTime::now()),
            auth: Auth::None,
            provider_refuses: false,
        });
        Some(self.accounts.len() - 1)
    }

    /// Issues a new authorization link (earlier ones stay valid), creating a PENDING_AUTH account
    /// when there is none: the link's URL and expiry. `None` when there is no such connection.
    pub fn issue_link(
        &mut self,
        connector: &str,
        identifier: &str,
        verify: Option<VerifyTarget>,
    ) -> Option<(String, SystemTime)> {
        if self.account_index(connector, identifier).is_none() {
            self.add_account(connector, identifier)?;
        }
        let token = self.next_id("ml");
        let expires = SystemTime::now() + self.link_lifetime;
        let link = format!("{}/magic/{token}", self.base_url);
        self.links.push(MagicLink {
            token,
            connector: connector.into(),
            identifier: identifier.into(),
            expires,
            used: false,
            verify,
        });
        Some((link, expires))
    }

    /// The link with this token.
    pub fn link(&self, token: &str) -> Option<&MagicLink> {
        self.links.iter().find(|l| l.token == token)
    }

    /// Completes the link with this token: marks it used and gives its account fresh tokens. The
    /// account is ACTIVE, or (custom verification) waits in PENDING_VERIFICATION for the app,
    /// whose verify URL the browser goes to.
    pub fn complete_link(&mut self, token: &str) -> Result<Completed, LinkRefusal> {
        let now = SystemTime::now();
        let found = self.link(token).ok_or(LinkRefusal::Unknown)?.clone();
        if let Some(refusal) = found.refusal(now) {
            return Err(refusal);
        }
        let index = self.account_index(&found.connector, &found.identifier).ok_or(LinkRefusal::Unknown)?;
        let verify = match (self.custom_verification, &found.verify) {
            (false, _) => None,
            (true, None) => return Err(LinkRefusal::NoVerifyUrl),
            (true, Some(target)) => Some(target),
        };
        if let Some(link) = self.links.iter_mut().find(|l| l.token == token) {
            link.used = true;
        }
        let serial = self.next_id("tok");
        let account = &mut self.accounts[index];
        account.status = if verify.is_some() { "PENDING_VERIFICATION" } else { "ACTIVE" };
        account.provider_refuses = false;
        account.token_expires_at = Some(rfc3339::format_system_time(now + Duration::from_secs(3600)));
        account.updated_at = rfc3339::format_system_time(now);
        account.auth = Auth::OAuthTokens {
            access_token: format!("ya29.virtual-{serial}-access"),
            refresh_token: format!("1//virtual-{serial}-refresh"),
            scopes: vec!["read".into(), "write".into()],
        };
        let Some(target) = verify else { return Ok(Completed::Active(index)) };
        let id = format!("ar_{}", &self.secret()[..24]);
        self.auth_requests.push(AuthRequest {
            id: id.clone(),
            account: index,
            identifier: found.identifier,
            used: false,
        });
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("auth_request_id", &id)
            .append_pair("state", &target.state)
            .finish();
        Ok(Completed::Verify(format!("{}?{query}", target.url)))
    }

    /// `POST /api/v1/connected_accounts/user/verify`: activates the account of the pending
    /// consent `auth_request_id` when `identifier` is the one its link was made for.
    pub fn verify_user(&mut self, auth_request_id: &str, identifier: &str) -> Result<usize, VerifyRefusal> {
        let request = self
            .auth_requests
            .iter_mut()
            .find(|r| r.id == auth_request_id && !r.used)
            .ok_or(VerifyRefusal::NotFound)?;
        if request.identifier != identifier {
            return Err(VerifyRefusal::IdentifierMismatch);
        }
        request.used = true;
        let index = request.account;
        let account = &mut self.accounts[index];
        account.status = "ACTIVE";
        account.updated_at = rfc3339::format_system_time(SystemTime::now());
        Ok(index)
    }
}

/// Why a verification activates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyRefusal {
    /// No pending consent has this id (or it was verified already): 404.
    NotFound,
    /// The consent's link was made for another identifier: 403.
    IdentifierMismatch,
}
