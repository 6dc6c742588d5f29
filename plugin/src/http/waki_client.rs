//! [`HttpClient`] over waki, which speaks `wasi:http/outgoing-handler`.

use std::time::Duration;

use waki::header::HeaderName;
use waki::{Client, ErrorCode, Method};

use super::{HttpClient, Request, Response, TransportError};

/// Connect timeout the component asks for; the host enforces its own limits as well.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The waki-backed client.
pub struct WakiClient;

fn method(name: &str) -> Method {
    match name {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "PATCH" => Method::Patch,
        "DELETE" => Method::Delete,
        "HEAD" => Method::Head,
        "OPTIONS" => Method::Options,
        other => Method::Other(other.to_owned()),
    }
}

fn transport_error(err: anyhow::Error) -> TransportError {
    let Some(code) = err.downcast_ref::<ErrorCode>() else {
        return TransportError::Lost(format!("{err:#}"));
    };
    match code {
        ErrorCode::HttpRequestDenied => TransportError::Denied,
        ErrorCode::ConnectionTimeout => TransportError::Timeout("connection timed out".into()),
        ErrorCode::ConnectionReadTimeout | ErrorCode::HttpResponseTimeout => {
            TransportError::Timeout("no response in time".into())
        }
        ErrorCode::ConnectionWriteTimeout => TransportError::Timeout("sending the request timed out".into()),
        ErrorCode::DnsTimeout => TransportError::Timeout("DNS lookup timed out".into()),
        ErrorCode::DnsError(_) | ErrorCode::DestinationNotFound => {
            TransportError::Failed("the host name does not resolve".into())
        }
        ErrorCode::ConnectionRefused => TransportError::Refused,
        ErrorCode::ConnectionTerminated => {
            TransportError::Lost("the connection was closed before the answer came".into())
        }
        ErrorCode::TlsCertificateError => TransportError::Failed("the server's TLS certificate is not trusted".into()),
        ErrorCode::TlsProtocolError | ErrorCode::TlsAlertReceived(_) => {
            TransportError::Failed("the TLS handshake failed".into())
        }
        ErrorCode::HttpProtocolError | ErrorCode::HttpResponseHeaderSectionSize(_) => {
            TransportError::Lost("the answer is not valid HTTP".into())
        }
        ErrorCode::HttpResponseIncomplete => TransportError::Lost("the answer was cut short".into()),
        ErrorCode::InternalError(Some(detail)) => TransportError::Lost(detail.clone()),
        // Never an internal type's Debug text in a message.
        _ => TransportError::Lost("the HTTP exchange failed".into()),
    }
}

/// Bytes read from a streamed body at a time.
const CHUNK: u64 = 64 * 1024;

impl HttpClient for WakiClient {
    fn send(&self, request: Request, sink: Option<&mut dyn std::io::Write>) -> Result<Response, TransportError> {
        let mut builder = Client::new().request(method(&request.method), &request.url).connect_timeout(CONNECT_TIMEOUT);
        for (name, value) in request.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| TransportError::Failed(format!("invalid header name {name:?}")))?;
            builder = builder.header(name, value.as_str());
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let response = builder.send().map_err(transport_error)?;
        let status = response.status_code();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let expected = headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.trim().parse().ok());
        let sink = sink.filter(|_| (200..300).contains(&status));
        let body = read_body(|| response.chunk(CHUNK).map_err(|_| ()), expected, sink)?;
        Ok(Response { status, headers, body })
    }
}

/// Reads a body chunk by chunk (`next` gives the next chunk, `None` at the end): into `sink` when
/// one is given, else into memory, at most [`MAX_BODY`]. A body cut short (an error, or fewer
/// bytes than `expected`) says how far it got, in plain words.
fn read_body(
    mut next: impl FnMut() -> Result<Option<Vec<u8>>, ()>,
    expected: Option<u64>,
    mut sink: Option<&mut dyn std::io::Write>,
) -> Result<Vec<u8>, TransportError> {
    let (mut body, mut read) = (Vec::new(), 0u64);
    let cut = |read: u64| match expected {
        Some(total) => format!("the connection was cut after {} of {} bytes", grouped(read), grouped(total)),
        None => format!("the connection was cut after {} bytes", grouped(read)),
    };
    while let Some(chunk) = next().map_err(|()| TransportError::Lost(cut(read)))? {
        read += chunk.len() as u64;
        match sink.as_mut() {
            Some(sink) => sink.write_all(&chunk).map_err(|e| TransportError::Sink(e.to_string()))?,
            None if read > MAX_BODY => return Err(TransportError::TooLarge(MAX_BODY)),
            None => body.extend_from_slice(&chunk),
        }
    }
    match expected {
        Some(total) if read < total => Err(TransportError::Lost(cut(read))),
        _ => Ok(body),
    }
}

/// The most of an answer read into memory; a larger one is refused unread (downloads stream to
/// their file instead).
pub const MAX_BODY: u64 = 24 << 20;

/// `7976` as `7,976`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(parts: Vec<Result<Option<Vec<u8>>, ()>>) -> impl FnMut() -> Result<Option<Vec<u8>>, ()> {
        let mut parts = parts.into_iter();
        move || parts.next().unwrap_or(Ok(None))
    }

    #[test]
    fn a_body_cut_short_says_how_far_it_got() {
        let cut = read_body(chunks(vec![Ok(Some(vec![0; 3120])), Err(())]), Some(7976), None);
        assert_eq!(cut, Err(TransportError::Lost("the connection was cut after 3,120 of 7,976 bytes".into())));
        let short = read_body(chunks(vec![Ok(Some(vec![0; 10]))]), Some(12), None);
        assert_eq!(short, Err(TransportError::Lost("the connection was cut after 10 of 12 bytes".into())));
        let unknown = read_body(chunks(vec![Ok(Some(vec![0; 1_234_567])), Err(())]), None, None);
        assert_eq!(unknown, Err(TransportError::Lost("the connection was cut after 1,234,567 bytes".into())));
        assert_eq!(read_body(chunks(vec![Ok(Some(b"ok".to_vec()))]), Some(2), None), Ok(b"ok".to_vec()));
    }

    #[test]
    fn an_answer_larger_than_any_sane_one_is_not_read_whole() {
        let huge = || Ok(Some(vec![0; 1 << 20]));
        assert_eq!(read_body(huge, None, None), Err(TransportError::TooLarge(MAX_BODY)));
    }
}
