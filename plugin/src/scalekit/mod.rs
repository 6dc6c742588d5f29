//! A Scalekit AgentKit REST client (the grpc-gateway surface of `shared/reference/scalekit-api.md`).

pub mod accounts;
pub mod connections;
mod errors;
pub mod mcp;
pub mod proxy;
pub mod tools;

use std::cell::OnceCell;

use serde::de::DeserializeOwned;
use serde_json::Value;

pub use errors::{ApiError, ErrorResponse};

use crate::config::Config;
use crate::http::{HttpClient, Request, Response, query_string};

/// Sent on every request so Scalekit can tell agent-auth's traffic apart.
const USER_AGENT: &str = concat!("agent-auth/", env!("CARGO_PKG_VERSION"));

/// A client for one environment with one set of credentials.
pub struct Scalekit<'a> {
    http: &'a dyn HttpClient,
    env_url: String,
    client_id: String,
    client_secret: String,
    /// Fetched on first use; at most one token request per invocation.
    token: OnceCell<String>,
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: String,
}

impl<'a> Scalekit<'a> {
    /// A client for the configured environment.
    pub fn new(http: &'a dyn HttpClient, config: &Config) -> Self {
        Scalekit {
            http,
            env_url: config.env_url.clone(),
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            token: OnceCell::new(),
        }
    }

    /// The client-credentials access token, requested once (`POST /oauth/token`).
    fn token(&self) -> Result<&str, ApiError> {
        if let Some(token) = self.token.get() {
            return Ok(token);
        }
        let form = query_string(&[
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.as_str()),
        ]);
        let response = self
            .send(Request {
                method: "POST".into(),
                url: format!("{}/oauth/token", self.env_url),
                headers: vec![
                    ("content-type".into(), "application/x-www-form-urlencoded".into()),
                    ("accept".into(), "application/json".into()),
                    ("user-agent".into(), USER_AGENT.into()),
                ],
                body: Some(form.into_bytes()),
            })
            .map_err(|e| match e {
                ApiError::Status(r) if matches!(r.status, 400 | 401 | 403) => ApiError::Credentials(r),
                other => other,
            })?;
        let parsed: TokenResponse = decode(&response, "token response")?;
        Ok(self.token.get_or_init(|| parsed.access_token))
    }

    fn send(&self, request: Request) -> Result<Response, ApiError> {
        let response = self.http.send(request, None).map_err(ApiError::Transport)?;
        if (200..300).contains(&response.status) {
            Ok(response)
        } else {
            Err(ApiError::Status(ErrorResponse::parse(&response)))
        }
    }

    /// Sends an authenticated request and returns the raw response, whatever its status; a 2xx
    /// body goes to `sink` when one is given.
    pub fn send_authenticated(
        &self,
        method: &str,
        path_and_query: &str,
        extra_headers: Vec<(String, String)>,
        body: Option<Vec<u8>>,
        sink: Option<&mut dyn std::io::Write>,
    ) -> Result<Response, ApiError> {
        let token = self.token()?;
        let mut headers = vec![
            ("authorization".to_owned(), format!("Bearer {token}")),
            ("user-agent".to_owned(), USER_AGENT.to_owned()),
        ];
        headers.extend(extra_headers);
        let request =
            Request { method: method.to_owned(), url: format!("{}{}", self.env_url, path_and_query), headers, body };
        self.http.send(request, sink).map_err(ApiError::Transport)
    }

    fn api<T: DeserializeOwned>(
        &self,
        method: &str,
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
            serde_json::to_vec(b).unwrap_or_default()
        });
        let response = self.send_authenticated(method, &target, headers, body, None)?;
        if !(200..300).contains(&response.status) {
            return Err(ApiError::Status(ErrorResponse::parse(&response)));
        }
        decode(&response, what)
    }

    /// `GET {path}?{query}` decoded as `T`.
    pub fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, String)], what: &str) -> Result<T, ApiError> {
        self.api("GET", path, query, None, what)
    }

    /// `POST {path}` with a JSON body, decoded as `T`.
    pub fn post<T: DeserializeOwned>(&self, path: &str, body: &Value, what: &str) -> Result<T, ApiError> {
        self.api("POST", path, &[], Some(body), what)
    }
}

fn decode<T: DeserializeOwned>(response: &Response, what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(&response.body)
        .map_err(|e| ApiError::Decode(format!("unexpected {what} from Scalekit (HTTP {}): {e}", response.status)))
}
