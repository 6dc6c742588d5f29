//! The client-credentials access token agent-auth presents to Scalekit (`POST /oauth/token`). It
//! is requested once per invocation at most, and kept between invocations in the state folder
//! ([`super::token_cache`]) when the host grants one; a token Scalekit refuses is replaced once.

use std::cell::RefCell;
use std::path::Path;

use agent_auth_contract::sizes::TOKEN_MAX;
use serde::Deserialize;

use super::token_cache::TokenCache;
use super::{ApiError, USER_AGENT, decode};
use crate::clock;
use crate::config::Config;
use crate::http::retry::Kind;
use crate::http::{HttpClient, Request, Response, TransportError, query_string};

/// The client id and secret, and the token in use once there is one.
pub struct ClientToken {
    client_id: String,
    /// Never printed, never cached.
    client_secret: String,
    /// `None` without a state folder (another WASI host): every invocation fetches its token.
    cache: Option<TokenCache>,
    current: RefCell<Option<Bearer>>,
}

/// A token to present, and whether it came from an earlier call (so that Scalekit may have
/// revoked it since).
#[derive(Debug, Clone)]
pub struct Bearer {
    /// The access token. A secret.
    pub token: String,
    /// It was cached by an earlier invocation.
    pub from_cache: bool,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    /// Seconds; a token without it is used for this invocation only.
    #[serde(default)]
    expires_in: Option<i64>,
}

impl ClientToken {
    /// The credentials of `config`, cached in `state_dir` when given.
    pub fn new(config: &Config, state_dir: Option<&Path>) -> Self {
        ClientToken {
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            cache: state_dir.map(|dir| TokenCache::new(dir, &config.env_url, &config.client_id, &config.client_secret)),
            current: RefCell::new(None),
        }
    }

    /// The token: the one in use, else a cached one, else a fresh one from `env_url`. Refused
    /// credentials are [`ApiError::Credentials`].
    pub fn get(&self, http: &dyn HttpClient, env_url: &str) -> Result<Bearer, ApiError> {
        if let Some(bearer) = self.current.borrow().clone() {
            return Ok(bearer);
        }
        let bearer = match &self.cache {
            None => Bearer { token: self.fetch(http, env_url)?, from_cache: false },
            Some(cache) => match cache.load() {
                Some(token) => Bearer { token, from_cache: true },
                None => match cache.lock() {
                    Some(_lock) => Bearer { token: self.fetch(http, env_url)?, from_cache: false },
                    // Another call is fetching one: take its token, or fetch after a moment.
                    None => match cache.wait_for_other() {
                        Some(token) => Bearer { token, from_cache: true },
                        None => Bearer { token: self.fetch(http, env_url)?, from_cache: false },
                    },
                },
            },
        };
        *self.current.borrow_mut() = Some(bearer.clone());
        Ok(bearer)
    }

    /// Scalekit refused `refused`, a cached token: forgets it and fetches a fresh one.
    pub fn replace(&self, http: &dyn HttpClient, env_url: &str, refused: &str) -> Result<Bearer, ApiError> {
        if let Some(cache) = &self.cache {
            cache.forget(refused);
        }
        let bearer = Bearer { token: self.fetch(http, env_url)?, from_cache: false };
        *self.current.borrow_mut() = Some(bearer.clone());
        Ok(bearer)
    }

    /// The client-credentials request to `env_url` (what `--doctor` sends to test them): a read,
    /// however often it is sent.
    pub fn request(&self, env_url: &str) -> Result<Request, TransportError> {
        let form = query_string(&[
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.as_str()),
        ]);
        let headers = [
            ("content-type".into(), "application/x-www-form-urlencoded".into()),
            ("accept".into(), "application/json".into()),
            ("user-agent".into(), USER_AGENT.into()),
        ];
        let url = format!("{env_url}/oauth/token");
        crate::http::request("POST", &url, headers, Some(form.into_bytes().into())).map(|r| Kind::Read.mark(r))
    }

    /// `POST /oauth/token`; the token is cached when Scalekit says how long it lasts.
    fn fetch(&self, http: &dyn HttpClient, env_url: &str) -> Result<String, ApiError> {
        let response = self.request(env_url).and_then(|r| http.send(r, None)).map_err(ApiError::Transport)?;
        self.accept(&response)
    }

    /// Scalekit's answer to [`ClientToken::request`]: the token (cached when Scalekit says how
    /// long it lasts), or why the credentials were refused.
    pub fn accept(&self, response: &Response) -> Result<String, ApiError> {
        if !response.status().is_success() {
            let refused = Box::new(super::ErrorResponse::parse(response));
            return Err(if matches!(refused.status, 400 | 401 | 403) {
                ApiError::Credentials(refused)
            } else {
                ApiError::Status(refused)
            });
        }
        let parsed: TokenResponse = decode(response, "token response")?;
        if parsed.access_token.len() > TOKEN_MAX {
            return Err(ApiError::Decode(format!(
                "Scalekit's token response holds an access token of {} bytes; agent-auth takes at most {} KiB",
                parsed.access_token.len(),
                TOKEN_MAX >> 10
            )));
        }
        if let (Some(cache), Some(seconds)) = (&self.cache, parsed.expires_in) {
            cache.store(&parsed.access_token, clock::now() + seconds);
        }
        Ok(parsed.access_token)
    }
}
