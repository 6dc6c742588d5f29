//! A Scalekit AgentKit REST client: its grpc-gateway surface (`/api/v1/...`, `/oauth/token`) and
//! the proxy to providers (`/proxy/...`), one module per resource.

pub mod accounts;
mod client_token;
pub mod connections;
mod errors;
pub mod mcp;
pub mod pages;
pub mod proxy;
pub mod tools;

use serde::de::DeserializeOwned;
use serde_json::Value;

pub use errors::{ApiError, ErrorResponse};

use self::client_token::ClientToken;
use crate::config::Config;
use crate::http::{HttpClient, Request, Response, query_string};

/// Sent on every request so Scalekit can tell agent-auth's traffic apart.
const USER_AGENT: &str = concat!("agent-auth/", env!("CARGO_PKG_VERSION"));

/// A client for one environment with one set of credentials.
pub struct Scalekit<'a> {
    http: &'a dyn HttpClient,
    env_url: String,
    token: ClientToken,
}

impl<'a> Scalekit<'a> {
    /// A client for the configured environment.
    pub fn new(http: &'a dyn HttpClient, config: &Config) -> Self {
        Scalekit {
            http,
            env_url: config.env_url.clone(),
            token: ClientToken::new(&config.client_id, &config.client_secret),
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
        let token = self.token.get(self.http, &self.env_url)?;
        let mut headers = vec![
            ("authorization".to_owned(), format!("Bearer {token}")),
            ("user-agent".to_owned(), USER_AGENT.to_owned()),
        ];
        headers.extend(extra_headers);
        let request =
            Request { method: method.to_owned(), url: format!("{}{}", self.env_url, path_and_query), headers, body };
        self.http.send(request, sink).map_err(ApiError::Transport)
    }

    /// `{method} {path}?{query}` with an optional JSON body, its 2xx answer decoded as `T` (`what`
    /// names it in messages).
    pub fn request<T: DeserializeOwned>(
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
            return Err(ApiError::Status(Box::new(ErrorResponse::parse(&response))));
        }
        decode(&response, what)
    }

    /// `GET {path}?{query}` decoded as `T`.
    pub fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, String)], what: &str) -> Result<T, ApiError> {
        self.request("GET", path, query, None, what)
    }

    /// `POST {path}` with a JSON body, decoded as `T`.
    pub fn post<T: DeserializeOwned>(&self, path: &str, body: &Value, what: &str) -> Result<T, ApiError> {
        self.request("POST", path, &[], Some(body), what)
    }
}

/// Decodes a 2xx body as `T`; `what` names it in the message when it does not decode.
fn decode<T: DeserializeOwned>(response: &Response, what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(&response.body)
        .map_err(|e| ApiError::Decode(format!("unexpected {what} from Scalekit (HTTP {}): {e}", response.status)))
}
