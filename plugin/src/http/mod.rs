//! Outgoing HTTP behind a small trait, so the transport can be swapped (`wasi:http` itself
//! today, [`WasiClient`]).

mod multipart;
pub mod retry;
mod url;
mod wasi_client;

use std::io::Read;
use std::path::PathBuf;

pub use multipart::Multipart;
pub use retry::Retrying;
pub use url::{encode_component, path_of, query_string};
pub use wasi_client::WasiClient;

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Bytes in memory.
    Bytes(Vec<u8>),
    /// `head`, then the bytes of `file`, read as they are sent, then `tail`: an upload, never
    /// whole in memory.
    Spliced {
        /// What goes before the file.
        head: Vec<u8>,
        /// The file.
        file: PathBuf,
        /// What goes after it.
        tail: Vec<u8>,
    },
}

impl Body {
    /// Its length in bytes (an upload's file as it is now).
    pub fn len(&self) -> std::io::Result<u64> {
        match self {
            Body::Bytes(bytes) => Ok(bytes.len() as u64),
            Body::Spliced { head, file, tail } => {
                Ok(head.len() as u64 + std::fs::metadata(file)?.len() + tail.len() as u64)
            }
        }
    }

    /// The SHA-256 of every byte it sends, in hex (an upload's file is read for it).
    pub fn sha256_hex(&self) -> std::io::Result<String> {
        match self {
            Body::Bytes(bytes) => Ok(crate::digest::sha256_hex(bytes)),
            Body::Spliced { head, file, tail } => {
                crate::digest::sha256_hex_of(head.as_slice().chain(std::fs::File::open(file)?).chain(tail.as_slice()))
            }
        }
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Body {
        Body::Bytes(bytes)
    }
}

/// An HTTP request: the `http` crate's, with its body in memory or spliced from a file (none for
/// a GET). Whoever builds one marks what sending it twice may do ([`retry::Kind`], an extension).
pub type Request = http::Request<Option<Body>>;

/// An HTTP response: the `http` crate's, its body read whole (empty when it was streamed into a
/// sink).
pub type Response = http::Response<Vec<u8>>;

/// The first value of a response's header as text (names compare case-insensitively; a value in
/// UTF-8 beyond ASCII, such as a `Location` with raw non-ASCII characters, is text too).
pub fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
}

/// A response's media type without parameters, lower case (empty when absent).
pub fn media_type(response: &Response) -> String {
    header(response, "content-type")
        .map(|ct| ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// The request `method url` with `headers` and `body`; a header that is not valid HTTP is a
/// [`TransportError::Failed`] naming it (its value never).
pub fn request(
    method: &str,
    url: &str,
    headers: impl IntoIterator<Item = (String, String)>,
    body: Option<Body>,
) -> Result<Request, TransportError> {
    let mut request = http::Request::new(body);
    *request.method_mut() = http::Method::from_bytes(method.as_bytes())
        .map_err(|_| TransportError::Failed(format!("the method {method:?} is invalid")))?;
    *request.uri_mut() = url.parse().map_err(|_| TransportError::Failed("the URL is invalid".into()))?;
    for (name, value) in headers {
        let name = http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| TransportError::Failed(format!("invalid header name {name:?}")))?;
        let value = http::HeaderValue::from_str(&value)
            .map_err(|_| TransportError::Failed(format!("the value of header {name} is invalid")))?;
        request.headers_mut().append(name, value);
    }
    Ok(request)
}

/// A response with `status`, `headers` and `body`, for the tests.
#[cfg(test)]
pub fn response(status: u16, headers: &[(&str, &str)], body: impl Into<Vec<u8>>) -> Response {
    let mut response = http::Response::new(body.into());
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) =
            (http::HeaderName::from_bytes(name.as_bytes()), http::HeaderValue::from_str(value))
        {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq)]
pub enum TransportError {
    /// The sandbox refused the destination.
    Denied,
    /// The request or response took too long.
    Timeout(String),
    /// The connection was refused: nothing reached the server.
    Refused,
    /// The connection failed or was cut once made: the request may have reached the server.
    Lost(String),
    /// A write was lost so ([`TransportError::Lost`]): it may or may not have run.
    OutcomeUnknown(String),
    /// DNS, TLS or another failure that trying again does not mend.
    Failed(String),
    /// The response body could not be written to its sink (the output file).
    Sink(String),
    /// The request body's file (an upload's) could not be read while it was sent.
    Source(String),
    /// The answer is more than agent-auth holds in memory; the words say how (`is larger than
    /// 12 MiB`).
    TooLarge(String),
}

/// Sends requests. One implementation per transport.
pub trait HttpClient {
    /// Sends one request. A 2xx body is streamed into `sink` when one is given (the returned
    /// body is then empty); any other body is read into the response.
    fn send(&self, request: Request, sink: Option<&mut dyn std::io::Write>) -> Result<Response, TransportError>;
}
