//! Virtual Scalekit: a stateful stand-in for Scalekit's AgentKit REST surface (token, app
//! connections, connected accounts, magic links,
//! tools, execute_tool, proxy, MCP configs and instances, and the MCP servers behind their URLs), with the same JSON names, enums, status
//! codes, error shapes and strictness (bearer required, `page_size` limits, unknown request fields
//! rejected, tool input checked against the tool's schema). Its magic links open authorization
//! pages a person completes in a browser.
//!
//! One implementation, reachable two ways: in-process through [`VirtualScalekit::answer`] (the
//! runner's outbound hook hands it the component's requests: [`in_process`], `TOOL_ENV_URL=sandbox`
//! and the demo) and over loopback HTTP through [`server::spawn`] ([`command`]: `agent-auth
//! sandbox`). It is a crate of its own, beside the runner: the runner uses it only for those
//! three, and builds without it (`--no-default-features`).

#![warn(missing_docs)]

mod api;
pub mod command;
mod execution;
pub mod faults;
mod hosted_mcp;
pub mod in_process;
mod mcp_configs;
pub mod multipart;
mod pages;
mod provider;
mod schema;
mod seed;
pub mod server;
mod state;
#[cfg(test)]
mod tests;
mod toolbox;
mod wire;
mod workspace;

use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;

pub use provider::file_bytes as provider_file_bytes;
pub use state::Credentials;
use state::State;

/// The most requests [`VirtualScalekit::requests`] keeps (a long-running `agent-auth sandbox`
/// forgets the oldest half when it is full).
const REQUEST_LOG: usize = 10_000;
/// The most of a request's body the log keeps.
const LOGGED_BODY: usize = 64 << 10;

/// The virtual environment.
pub struct VirtualScalekit {
    state: Mutex<State>,
    /// What goes wrong with requests on loopback (nothing unless given).
    faults: faults::Faults,
}

/// A request as the virtual environment sees it.
#[derive(Debug, Clone)]
pub struct Request {
    /// Upper-case method.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Decoded query pairs.
    pub query: Vec<(String, String)>,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn query_value(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// A response from the virtual environment.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Content type; empty for a body-less answer that has none.
    pub content_type: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Bytes,
}

impl VirtualScalekit {
    /// An environment seeded with the demo catalogue, accepting `credentials` (any non-empty pair when `None`).
    pub fn new(base_url: &str, credentials: Option<Credentials>) -> Self {
        VirtualScalekit { state: Mutex::new(seed::seeded(base_url, credentials)), faults: faults::Faults::default() }
    }

    /// The same environment, whose loopback server injects `faults`.
    pub fn with_faults(mut self, faults: faults::Faults) -> Self {
        self.faults = faults;
        self
    }

    /// The same environment with authorization links that stay valid for `lifetime` (600 s by default).
    pub fn with_link_lifetime(mut self, lifetime: Duration) -> Self {
        self.state.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner()).link_lifetime = lifetime;
        self
    }

    /// Answers one request.
    pub fn handle(&self, request: &Request) -> Response {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        log(&mut state, request);
        api::route(&mut state, request)
    }

    /// Logs a request that a fault stopped before it ran.
    fn receive(&self, request: &Request) {
        log(&mut self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner()), request);
    }
}

/// Adds `request` to the log of requests received.
fn log(state: &mut State, request: &Request) {
    if state.requests.len() >= REQUEST_LOG {
        state.requests.drain(..REQUEST_LOG / 2);
    }
    let mut served = request.clone();
    if served.body.len() > LOGGED_BODY {
        served.body = Bytes::copy_from_slice(&served.body[..LOGGED_BODY]);
    }
    state.requests.push(served);
}

impl VirtualScalekit {
    /// Every request received so far (those a fault stopped included), as `METHOD /path`.
    pub fn requests(&self) -> Vec<String> {
        self.served().iter().map(|r| format!("{} {}", r.method, r.path)).collect()
    }

    /// Every request received so far, whole (bodies cut after 64 KiB).
    pub fn served(&self) -> Vec<Request> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).requests.clone()
    }

    /// Sets the status of `identifier`'s account on `connector` (`EXPIRED`, `REVOKED`, ...), as a
    /// person revoking access at the provider would; false when there is no such account.
    pub fn set_account_status(&self, connector: &str, identifier: &str, status: &'static str) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let Some(index) = state.account_index(connector, identifier) else { return false };
        state.accounts[index].status = status;
        true
    }

    /// Makes the provider refuse the stored credentials of `identifier`'s account on `connector`
    /// (revoked at the provider) while Scalekit still shows it ACTIVE, until the person authorizes
    /// again; false when there is no such account.
    pub fn revoke_at_provider(&self, connector: &str, identifier: &str) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let Some(index) = state.account_index(connector, identifier) else { return false };
        state.accounts[index].provider_refuses = true;
        true
    }

    /// How many access tokens `/oauth/token` has issued so far.
    pub fn tokens_issued(&self) -> usize {
        let state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        state.issued_tokens.len() + state.revoked_tokens
    }

    /// Revokes every access token issued so far, as a key rotation at Scalekit would: requests
    /// bearing one are answered 401.
    pub fn revoke_tokens(&self) {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        state.revoked_tokens += state.issued_tokens.len();
        state.issued_tokens.clear();
    }

    /// Completes an authorization link as a person would: the account becomes ACTIVE with fresh
    /// tokens, or (custom verification) waits for its verification, whose URL is returned. An
    /// unknown, expired or used link is refused with the reason.
    pub fn complete_authorization(&self, link: &str) -> Result<Option<String>, String> {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let token = link.rsplit('/').next().unwrap_or_default();
        match state.complete_link(token).map_err(|refusal| refusal.to_string())? {
            state::Completed::Active(_) => Ok(None),
            state::Completed::Verify(url) => Ok(Some(url)),
        }
    }

    /// The same environment in "Custom user verification": a consent leaves the account
    /// PENDING_VERIFICATION and sends the browser to the link's `user_verify_url`, and a link
    /// made without one fails with `failed_to_exchange`, as Scalekit does.
    pub fn with_custom_verification(mut self) -> Self {
        self.state.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner()).custom_verification = true;
        self
    }
}

impl VirtualScalekit {
    /// The answer to `request`, as the component's HTTP gets it in-process.
    pub fn answer(&self, request: http::Request<Bytes>) -> http::Response<Bytes> {
        let (parts, body) = request.into_parts();
        let headers = parts
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let response = self.handle(&Request {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query: server::parse_query(parts.uri.query().unwrap_or_default()),
            headers,
            body,
        });
        let mut answer = http::Response::new(response.body);
        *answer.status_mut() =
            http::StatusCode::from_u16(response.status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        let content_type =
            (!response.content_type.is_empty()).then(|| ("content-type".to_owned(), response.content_type));
        for (name, value) in response.headers.into_iter().chain(content_type) {
            // Every header the double writes is its own, and valid.
            if let (Ok(name), Ok(value)) =
                (http::HeaderName::from_bytes(name.as_bytes()), http::HeaderValue::from_str(&value))
            {
                answer.headers_mut().append(name, value);
            }
        }
        answer
    }
}
