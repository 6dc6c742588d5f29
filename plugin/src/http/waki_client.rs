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
        ErrorCode::ConnectionTerminated => TransportError::Lost("the connection was closed".into()),
        ErrorCode::TlsCertificateError => TransportError::Failed("the server's TLS certificate is not trusted".into()),
        ErrorCode::TlsProtocolError | ErrorCode::TlsAlertReceived(_) => {
            TransportError::Failed("the TLS handshake failed".into())
        }
        ErrorCode::InternalError(Some(detail)) => TransportError::Lost(detail.clone()),
        other => TransportError::Lost(format!("{other:?}")),
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
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let body = match sink {
            Some(sink) if (200..300).contains(&status) => {
                while let Some(chunk) = response.chunk(CHUNK).map_err(transport_error)? {
                    sink.write_all(&chunk).map_err(|e| TransportError::Sink(e.to_string()))?;
                }
                Vec::new()
            }
            _ => response.body().map_err(transport_error)?,
        };
        Ok(Response { status, headers, body })
    }
}
