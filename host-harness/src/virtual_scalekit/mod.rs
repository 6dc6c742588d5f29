//! Virtual Scalekit: a stateful stand-in for the AgentKit REST surface of
//! `shared/reference/scalekit-api.md`, with the same JSON names, enums, status codes, error shapes
//! and strictness (bearer required, `page_size` <= 30, unknown request fields rejected, tool input
//! checked against the tool's schema).
//!
//! One implementation, reachable two ways: in-process as an [`Interceptor`](crate::outbound::Interceptor)
//! and over loopback HTTP through [`server::serve`].

mod api;
mod provider;
mod schema;
mod seed;
pub mod server;
mod state;

use std::sync::Mutex;

use bytes::Bytes;
use wasmtime_wasi_http::Error as HttpError;

use crate::outbound::{CannedResponse, InterceptedRequest, Interceptor};
pub use provider::file_bytes as provider_file_bytes;
pub use state::Credentials;
use state::State;

/// The virtual environment.
pub struct VirtualScalekit {
    state: Mutex<State>,
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
    /// Content type.
    pub content_type: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Bytes,
}

impl VirtualScalekit {
    /// An environment seeded with the demo catalogue, accepting `credentials` (any non-empty pair when `None`).
    pub fn new(base_url: &str, credentials: Option<Credentials>) -> Self {
        VirtualScalekit { state: Mutex::new(seed::seeded(base_url, credentials)) }
    }

    /// Answers one request.
    pub fn handle(&self, request: &Request) -> Response {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        api::route(&mut state, request)
    }
}

impl VirtualScalekit {
    /// Completes an authorization link as a person would: the account becomes ACTIVE with fresh
    /// tokens. An unknown, expired or used link is refused with the reason.
    pub fn complete_authorization(&self, link: &str) -> Result<(), String> {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        state.complete_link(link)
    }
}

impl Interceptor for VirtualScalekit {
    fn intercept(&self, request: InterceptedRequest) -> Result<CannedResponse, HttpError> {
        let query = request.uri.query().unwrap_or_default();
        let response = self.handle(&Request {
            method: request.method,
            path: request.uri.path().to_owned(),
            query: server::parse_query(query),
            headers: request.headers,
            body: request.body,
        });
        let mut headers = response.headers;
        headers.push(("content-type".into(), response.content_type));
        Ok(CannedResponse { status: response.status, headers, body: response.body })
    }
}
