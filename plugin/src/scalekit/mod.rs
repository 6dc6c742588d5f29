//! A Scalekit AgentKit REST client: its grpc-gateway surface (`/api/v1/...`, `/oauth/token`) and
//! the proxy to providers (`/proxy/...`), one module per resource.

pub mod accounts;
pub mod cache;
pub mod client_token;
pub mod connections;
mod errors;
pub mod mcp_configs;
pub mod pages;
pub mod proxy;
mod token_cache;
pub mod tools;

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_json::Value;

pub use errors::{ApiError, ErrorResponse, Redirect, refused_by_scalekit};

use self::cache::Cache;
use self::client_token::ClientToken;
use crate::config::Config;
use crate::http::retry::{Kind, Refusal};
use crate::http::{self, Body, HttpClient, Request, Response, TransportError, query_string};
use crate::link_rules::LinkRules;

/// Sent on every request so Scalekit can tell agent-auth's traffic apart.
const USER_AGENT: &str = concat!("agent-auth/", env!("CARGO_PKG_VERSION"));

/// A client for one environment with one set of credentials.
pub struct Scalekit<'a> {
    http: &'a dyn HttpClient,
    env_url: String,
    token: ClientToken,
    /// What is remembered of the environment between calls.
    pub cache: Cache,
    /// How the environment's authorization links are made.
    pub links: LinkRules,
    /// agent-auth's state folder, where the links' states are kept (custom verification).
    pub state_dir: Option<PathBuf>,
}

impl<'a> Scalekit<'a> {
    /// A client for the configured environment, keeping its token and what it remembers in
    /// `state_dir` when given; `read_cache` false answers every question afresh (`--no-cache`).
    pub fn new(http: &'a dyn HttpClient, config: &Config, state_dir: Option<&Path>, read_cache: bool) -> Self {
        Scalekit {
            http,
            env_url: config.env_url.clone(),
            token: ClientToken::new(config, state_dir),
            cache: Cache::open(state_dir, &config.env_url, &config.client_id, read_cache),
            links: config.links.clone(),
            state_dir: state_dir.map(Path::to_path_buf),
        }
    }

    /// The environment URL, without a trailing slash.
    pub fn env_url(&self) -> &str {
        &self.env_url
    }

    /// Sends an authenticated request marked `kind` and returns the raw response, whatever its
    /// status; a 2xx body goes to `sink` when one is given. A request to Scalekit's own API is
    /// also marked with how its gateway refuses one ([`errors::refused_by_scalekit`]); one through
    /// the proxy is not (a provider's 429 passed on proves nothing).
    pub fn send_authenticated(
        &self,
        method: &str,
        path_and_query: &str,
        kind: Kind,
        extra_headers: Vec<(String, String)>,
        body: Option<Body>,
        sink: Option<&mut dyn std::io::Write>,
    ) -> Result<Response, ApiError> {
        let bearer = self.token.get(self.http, &self.env_url)?;
        let mut headers = vec![("user-agent".to_owned(), USER_AGENT.to_owned())];
        headers.extend(extra_headers);
        let url = format!("{}{}", self.env_url, path_and_query);
        let mut request = kind.mark(http::request(method, &url, headers, body).map_err(ApiError::Transport)?);
        if !proxied(path_and_query) {
            request.extensions_mut().insert(Refusal(errors::refused_by_scalekit));
        }
        let mut sink = sink;
        let first = sink.as_mut().map(|s| &mut **s as &mut dyn std::io::Write);
        let response = self.http.send(with_bearer(&request, &bearer.token)?, first).map_err(ApiError::Transport)?;
        if !(bearer.from_cache && refuses_the_token(&response, path_and_query)) {
            return Ok(response);
        }
        // Scalekit refused a token an earlier call cached (revoked, or its keys rotated): nothing
        // ran, so the request is sent again, once, with a fresh token.
        let fresh = self.token.replace(self.http, &self.env_url, &bearer.token)?;
        self.http.send(with_bearer(&request, &fresh.token)?, sink).map_err(ApiError::Transport)
    }

    /// `{method} {path}?{query}` (marked `kind`) with an optional JSON body, its 2xx answer
    /// decoded as `T` (`what` names it in messages).
    pub fn request<T: DeserializeOwned>(
        &self,
        method: &str,
        kind: Kind,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        what: &str,
    ) -> Result<T, ApiError> {
        let mut target = path.to_owned();
        if !query.is_empty() {
            target.push('?');
            target.push_str(&query_string(query));
        }
        let mut headers = vec![("accept".to_owned(), "application/json".to_owned())];
        let body = body.map(|b| {
            headers.push(("content-type".to_owned(), "application/json".to_owned()));
            Body::from(serde_json::to_vec(b).unwrap_or_default())
        });
        let response = self.send_authenticated(method, &target, kind, headers, body, None)?;
        if response.status().is_redirection() {
            return Err(ApiError::Redirected(Redirect::of(&response, &self.env_url)));
        }
        if !response.status().is_success() {
            return Err(ApiError::Status(Box::new(ErrorResponse::parse(&response))));
        }
        decode(&response, what)
    }

    /// `GET {path}?{query}` decoded as `T`: a read.
    pub fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, String)], what: &str) -> Result<T, ApiError> {
        self.request("GET", Kind::Read, path, query, None, what)
    }

    /// `POST {path}` with a JSON body, decoded as `T`: a write.
    pub fn post<T: DeserializeOwned>(&self, path: &str, body: &Value, what: &str) -> Result<T, ApiError> {
        self.request("POST", Kind::Write, path, &[], Some(body), what)
    }

    /// `POST {path}` with a JSON body that only reads (or mints a fresh link), decoded as `T`.
    pub fn post_reading<T: DeserializeOwned>(&self, path: &str, body: &Value, what: &str) -> Result<T, ApiError> {
        self.request("POST", Kind::Read, path, &[], Some(body), what)
    }
}

/// Whether `path_and_query` goes through Scalekit's proxy to a provider.
fn proxied(path_and_query: &str) -> bool {
    path_and_query.starts_with("/proxy")
}

/// `request` with `Authorization: Bearer {token}`.
fn with_bearer(request: &Request, token: &str) -> Result<Request, ApiError> {
    let mut sent = request.clone();
    let value = ::http::HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| ApiError::Transport(TransportError::Failed("the access token is not valid in a header".into())))?;
    sent.headers_mut().insert(::http::header::AUTHORIZATION, value);
    Ok(sent)
}

/// Whether `response` is Scalekit refusing the token itself: a 401 from its API, or from its proxy
/// layer (`{detail, code}`), but not a provider's 401 passed through the proxy, nor a tool's.
fn refuses_the_token(response: &Response, path_and_query: &str) -> bool {
    if response.status() != 401 {
        return false;
    }
    let refusal = ErrorResponse::parse(response);
    !refusal.is("TOOL_ERROR") && (!proxied(path_and_query) || refusal.from_proxy_layer)
}

/// Decodes a 2xx body as `T`; `what` names it in the message when it does not decode.
fn decode<T: DeserializeOwned>(response: &Response, what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(response.body()).map_err(|e| {
        ApiError::Decode(format!("unexpected {what} from Scalekit (HTTP {}): {e}", response.status().as_u16()))
    })
}
