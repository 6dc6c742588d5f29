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

    /// The bytes, when they are in memory.
    pub fn in_memory(&self) -> Option<&[u8]> {
        match self {
            Body::Bytes(bytes) => Some(bytes),
            Body::Spliced { .. } => None,
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
    pub body: Option<Body>,
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
