//! The proxy to the provider's own API: `{METHOD} {env}/proxy{path}`.

use super::{ApiError, Scalekit};
use crate::http::retry::Kind;
use crate::http::{Body, Response, query_string};

/// One proxied request.
#[derive(Debug)]
pub struct ProxyCall {
    /// Upper-case HTTP method.
    pub method: String,
    /// Provider path starting with `/` (may carry its own query string).
    pub path: String,
    /// Query pairs; repeated keys allowed.
    pub query: Vec<(String, String)>,
    /// Caller headers (already stripped of the ones Scalekit owns).
    pub headers: Vec<(String, String)>,
    /// Request body.
    pub body: Option<Body>,
    /// The connection's `key_id`.
    pub connection_name: String,
    /// The user identifier.
    pub identifier: String,
}

/// Sends the call and returns the provider's (or Scalekit's) response, whatever its status; a 2xx
/// body is streamed into `sink` when one is given. What the provider does with it is known by its
/// method alone: `GET` and `HEAD` read, anything else may write.
pub fn send(sk: &Scalekit, call: ProxyCall, sink: Option<&mut dyn std::io::Write>) -> Result<Response, ApiError> {
    let (target, headers) = (target(&call), headers(&call));
    sk.send_authenticated(&call.method, &target, Kind::by_method(&call.method), headers, call.body, sink)
}

/// The path and query the call is sent to, on the environment's host.
pub fn target(call: &ProxyCall) -> String {
    let mut target = format!("/proxy{}", call.path);
    if !call.query.is_empty() {
        target.push(if call.path.contains('?') { '&' } else { '?' });
        target.push_str(&query_string(&call.query));
    }
    target
}

/// The headers the call carries, besides Scalekit's bearer token: whose account, then the caller's.
pub fn headers(call: &ProxyCall) -> Vec<(String, String)> {
    let mut headers = vec![
        ("connection_name".to_owned(), call.connection_name.clone()),
        ("identifier".to_owned(), call.identifier.clone()),
    ];
    headers.extend(call.headers.iter().cloned());
    headers
}
