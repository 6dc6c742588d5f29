//! [`HttpClient`] straight over `wasi:http/outgoing-handler`, streaming both ways: a request body
//! goes out in chunks as it is read (an upload's file included, never whole in memory), and a
//! response body comes in in chunks, into a sink or into memory up to [`ANSWER_MAX`] bytes and
//! [`HELD_MAX`] once parsed.

use std::io::Read;
use std::time::Duration;

use agent_auth_contract::sizes::{ANSWER_MAX, HEADERS_MAX, HELD_MAX, held_cost, readable_size};

use super::{Body, HttpClient, Request, Response, TransportError};
use crate::bindings::wasi::http::outgoing_handler;
use crate::bindings::wasi::http::types::{
    ErrorCode, Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};
use crate::bindings::wasi::io::streams::{OutputStream, StreamError};

/// Connect timeout the component asks for; the host enforces its own limits as well.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Bytes read from a body, or from an upload's file, at a time.
const CHUNK: usize = 64 * 1024;

/// The `wasi:http` client.
pub struct WasiClient;

fn method(method: &http::Method) -> Method {
    match method.as_str() {
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

/// A `wasi:http` error code in plain words: never an internal type's Debug text.
fn transport_error(code: &ErrorCode) -> TransportError {
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
        ErrorCode::HttpRequestBodySize(_) => {
            TransportError::Failed("the request body is larger than the host sends".into())
        }
        ErrorCode::InternalError(Some(detail)) => TransportError::Lost(detail.clone()),
        _ => TransportError::Lost("the HTTP exchange failed".into()),
    }
}

/// The outgoing request of `request`: method, URL parts and headers (`content-length` set for a
/// body, so that it goes out with its length and not chunked).
fn outgoing(request: &Request, length: Option<u64>) -> Result<OutgoingRequest, TransportError> {
    let invalid = |what: &str| TransportError::Failed(format!("{what} of {} is invalid", request.method()));
    let uri = request.uri();
    let mut entries: Vec<(String, Vec<u8>)> = Vec::with_capacity(request.headers().len() + 1);
    for (name, value) in request.headers() {
        if name != http::header::CONTENT_LENGTH {
            entries.push((name.as_str().to_owned(), value.as_bytes().to_vec()));
        }
    }
    entries.extend(length.map(|n| ("content-length".to_owned(), n.to_string().into_bytes())));
    // The host refuses headers past its own cap by stopping the component: never ask it to.
    let size: usize = entries.iter().map(|(name, value)| name.len() + value.len()).sum();
    if size > HEADERS_MAX {
        return Err(TransportError::Failed(format!(
            "the request's headers are larger than {}",
            readable_size(HEADERS_MAX as u64)
        )));
    }
    let fields = Fields::from_list(&entries).map_err(|_| invalid("a header"))?;
    let out = OutgoingRequest::new(fields);
    out.set_method(&method(request.method())).map_err(|()| invalid("the method"))?;
    let scheme = match uri.scheme_str() {
        Some("https") => Scheme::Https,
        Some("http") => Scheme::Http,
        Some(other) => Scheme::Other(other.to_owned()),
        None => return Err(TransportError::Failed("the URL has no scheme".into())),
    };
    out.set_scheme(Some(&scheme)).map_err(|()| invalid("the scheme"))?;
    out.set_authority(uri.authority().map(|a| a.as_str())).map_err(|()| invalid("the host"))?;
    out.set_path_with_query(uri.path_and_query().map(|p| p.as_str())).map_err(|()| invalid("the path"))?;
    Ok(out)
}

/// Writes all of `bytes`, as fast as the host takes them.
fn write_all(stream: &OutputStream, mut bytes: &[u8]) -> Result<(), StreamError> {
    let ready = stream.subscribe();
    while !bytes.is_empty() {
        ready.block();
        let permit = usize::try_from(stream.check_write()?).unwrap_or(usize::MAX);
        let (now, rest) = bytes.split_at(permit.min(bytes.len()));
        stream.write(now)?;
        bytes = rest;
    }
    Ok(())
}

/// Why writing the body stopped: the connection (a stream error), or the upload's file.
enum WriteFailure {
    Stream,
    File(std::io::Error),
}

/// Writes `body` to `stream`: bytes at once, an upload's file a chunk at a time.
fn write_body(stream: &OutputStream, body: &Body) -> Result<(), WriteFailure> {
    let stream_failed = |_: StreamError| WriteFailure::Stream;
    match body {
        Body::Bytes(bytes) => write_all(stream, bytes).map_err(stream_failed)?,
        Body::Spliced { head, file, tail } => {
            write_all(stream, head).map_err(stream_failed)?;
            let mut file = std::fs::File::open(file).map_err(WriteFailure::File)?;
            let mut chunk = vec![0; CHUNK];
            loop {
                let n = file.read(&mut chunk).map_err(WriteFailure::File)?;
                if n == 0 {
                    break;
                }
                write_all(stream, &chunk[..n]).map_err(stream_failed)?;
            }
            write_all(stream, tail).map_err(stream_failed)?;
        }
    }
    stream.blocking_flush().map_err(stream_failed)
}

impl HttpClient for WasiClient {
    fn send(&self, request: Request, sink: Option<&mut dyn std::io::Write>) -> Result<Response, TransportError> {
        let length =
            request.body().as_ref().map(Body::len).transpose().map_err(|e| TransportError::Source(e.to_string()))?;
        let out = outgoing(&request, length)?;
        let outgoing_body =
            out.body().map_err(|()| TransportError::Failed("the request has no body to write".into()))?;
        let options = RequestOptions::new();
        let _ = options.set_connect_timeout(Some(CONNECT_TIMEOUT.as_nanos() as u64));
        let future = outgoing_handler::handle(out, Some(options)).map_err(|e| transport_error(&e))?;
        // The body goes out while the host sends the request; a failure to write it is the
        // connection's, and the answer (if any) says why.
        let mut file_error = None;
        if let Some(body) = request.body() {
            let stream =
                outgoing_body.write().map_err(|()| TransportError::Failed("the body cannot be written".into()))?;
            if let Err(WriteFailure::File(e)) = write_body(&stream, body) {
                file_error = Some(e);
            }
        }
        if let Some(e) = file_error {
            return Err(TransportError::Source(e.to_string()));
        }
        let finished = OutgoingBody::finish(outgoing_body, None);
        future.subscribe().block();
        let incoming = match future.get() {
            Some(Ok(Ok(response))) => response,
            Some(Ok(Err(code))) => return Err(transport_error(&code)),
            Some(Err(())) | None => return Err(TransportError::Lost("the answer never came".into())),
        };
        finished.map_err(|e| transport_error(&e))?;
        let mut response = http::Response::new(Vec::new());
        *response.status_mut() = http::StatusCode::from_u16(incoming.status())
            .map_err(|_| TransportError::Lost("the answer is not valid HTTP".into()))?;
        for (name, value) in incoming.headers().entries() {
            // The host passes on only valid headers; any other is dropped, never trusted.
            if let (Ok(name), Ok(value)) =
                (http::HeaderName::from_bytes(name.as_bytes()), http::HeaderValue::from_bytes(&value))
            {
                response.headers_mut().append(name, value);
            }
        }
        let expected = super::header(&response, "content-length").and_then(|v| v.trim().parse().ok());
        let sink = sink.filter(|_| response.status().is_success());
        let body = incoming.consume().map_err(|()| TransportError::Lost("the answer has no body".into()))?;
        let read = read_stream(&body, expected, sink);
        drop(body);
        drop(incoming);
        *response.body_mut() = read?;
        Ok(response)
    }
}

/// Reads `body` chunk by chunk with [`read_body`].
fn read_stream(
    body: &IncomingBody,
    expected: Option<u64>,
    sink: Option<&mut dyn std::io::Write>,
) -> Result<Vec<u8>, TransportError> {
    let stream = body.stream().map_err(|()| TransportError::Lost("the answer's body cannot be read".into()))?;
    let read = read_body(
        || match stream.blocking_read(CHUNK as u64) {
            Ok(chunk) => Ok(Some(chunk)),
            Err(StreamError::Closed) => Ok(None),
            Err(StreamError::LastOperationFailed(_)) => Err(()),
        },
        expected,
        sink,
    );
    drop(stream);
    read
}

/// Reads a body chunk by chunk (`next` gives the next chunk, `None` at the end): into `sink` when
/// one is given, else into memory, at most [`ANSWER_MAX`] bytes costing at most [`HELD_MAX`] once
/// parsed. A body cut short (an error, or fewer bytes than `expected`) says how far it got, in
/// plain words.
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
            None if read > ANSWER_MAX => {
                return Err(TransportError::TooLarge(format!("is larger than {}", readable_size(ANSWER_MAX))));
            }
            None => body.extend_from_slice(&chunk),
        }
    }
    match expected {
        Some(total) if read < total => Err(TransportError::Lost(cut(read))),
        _ if sink.is_none() && held_cost(&body) > HELD_MAX => Err(TransportError::TooLarge(format!(
            "holds too many values: it would take more than {} once read",
            readable_size(HELD_MAX as u64)
        ))),
        _ => Ok(body),
    }
}

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
        assert_eq!(read_body(huge, None, None), Err(TransportError::TooLarge("is larger than 12 MiB".into())));
        let dense = b"[1,".repeat(1 << 20);
        let once = move || Ok(Some(dense.clone()));
        let mut sent = false;
        let mut dense_once = || if std::mem::replace(&mut sent, true) { Ok(None) } else { once() };
        let refused = read_body(&mut dense_once, None, None).unwrap_err();
        assert!(matches!(&refused, TransportError::TooLarge(why) if why.contains("too many values")), "{refused:?}");
    }
}
