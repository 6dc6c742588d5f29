//! Outgoing HTTP behind a small trait, so the transport (waki today) can be swapped.

mod multipart;
pub mod retry;
mod url;
mod waki_client;

pub use multipart::encode as multipart;
pub use retry::Retrying;
pub use url::{encode_component, path_of, query_string};
pub use waki_client::WakiClient;

/// An HTTP request, fully buffered.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Absolute URL including the query string.
    pub url: String,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    pub body: Option<Vec<u8>>,
}

/// An HTTP response, fully buffered.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of a header (names compare case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The media type without parameters, lower case (empty when absent).
    pub fn media_type(&self) -> String {
        self.header("content-type")
            .map(|ct| ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
            .unwrap_or_default()
    }
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
    /// The answer is larger than this many bytes, the most read into memory.
    TooLarge(u64),
}

/// Sends requests. One implementation per transport.
pub trait HttpClient {
    /// Sends one request. A 2xx body is streamed into `sink` when one is given (the returned
    /// body is then empty); any other body is read into the response.
    fn send(&self, request: Request, sink: Option<&mut dyn std::io::Write>) -> Result<Response, TransportError>;
}
