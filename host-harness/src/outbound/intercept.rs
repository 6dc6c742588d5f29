//! Answering the component's requests in-process (spin's outbound-HTTP interceptor shape).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use wasmtime_wasi_http::{Error as HttpError, WasiBody};

/// A request the component sent, fully read.
#[derive(Debug, Clone)]
pub struct InterceptedRequest {
    /// Upper-case method.
    pub method: String,
    /// The full URI.
    pub uri: http::Uri,
    /// Header names (lower case) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

impl InterceptedRequest {
    pub(crate) fn new(parts: http::request::Parts, body: Bytes) -> Self {
        InterceptedRequest {
            method: parts.method.to_string(),
            headers: parts
                .headers
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect(),
            uri: parts.uri,
            body,
        }
    }
}

/// A response to hand back to the component.
#[derive(Debug, Clone)]
pub struct CannedResponse {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Bytes,
}

impl CannedResponse {
    pub(crate) fn into_response(self) -> Result<http::Response<WasiBody>, HttpError> {
        let mut builder = http::Response::builder().status(self.status);
        for (k, v) in &self.headers {
            builder = builder.header(k, v);
        }
        builder
            .body(Full::new(self.body).map_err(|never| match never {}).boxed_unsync())
            .map_err(|e| HttpError::InternalError(Some(e.to_string())))
    }
}

/// Answers requests in place of the network. An `Err` reaches the component as a transport failure.
pub trait Interceptor: Send + Sync {
    /// Answers one allowed request.
    fn intercept(&self, request: InterceptedRequest) -> Result<CannedResponse, HttpError>;
}
