//! Real network I/O through reqwest: verified HTTPS (webpki roots plus any `SSL_CERT_FILE`
//! bundle), `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`, no redirects, and the sandbox's timeouts.

use std::path::Path;

use anyhow::Context;
use futures_util::TryStreamExt;
use http_body_util::{BodyExt, StreamBody};
use http_body::Frame;
use wasmtime_wasi_http::{Error as HttpError, WasiBody};

use crate::sandbox::Limits;

/// A shared HTTPS client.
#[derive(Clone)]
pub struct RealNetwork {
    client: reqwest::Client,
}

impl RealNetwork {
    /// A client with the sandbox's timeouts; trusts `extra_ca_bundle` (PEM) in addition to the
    /// built-in roots.
    pub fn new(limits: &Limits, extra_ca_bundle: Option<&Path>) -> anyhow::Result<Self> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(limits.connect_timeout)
            .read_timeout(limits.between_bytes_timeout)
            .redirect(reqwest::redirect::Policy::none());
        if let Some(path) = extra_ca_bundle {
            let pem = std::fs::read(path).with_context(|| format!("cannot read the CA bundle {}", path.display()))?;
            for cert in reqwest::Certificate::from_pem_bundle(&pem).with_context(|| format!("{} is not a PEM bundle", path.display()))? {
                builder = builder.add_root_certificate(cert);
            }
        }
        Ok(RealNetwork { client: builder.build()? })
    }

    pub(crate) async fn send(&self, request: http::Request<WasiBody>, limits: &Limits) -> Result<http::Response<WasiBody>, HttpError> {
        let (parts, body) = request.into_parts();
        let body = body.collect().await?.to_bytes();
        let mut outgoing = self.client.request(parts.method, parts.uri.to_string()).body(body);
        for (name, value) in &parts.headers {
            if name != http::header::HOST {
                outgoing = outgoing.header(name, value);
            }
        }
        let response = tokio::time::timeout(limits.first_byte_timeout, outgoing.send())
            .await
            .map_err(|_| HttpError::HttpResponseTimeout)?
            .map_err(classify)?;
        let mut builder = http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            builder = builder.header(name, value);
        }
        let stream = response.bytes_stream().map_ok(Frame::data).map_err(classify);
        builder
            .body(StreamBody::new(stream).boxed_unsync())
            .map_err(|e| HttpError::InternalError(Some(e.to_string())))
    }
}

/// Maps a reqwest failure to the closest `wasi:http` error code.
fn classify(err: reqwest::Error) -> HttpError {
    let chain = {
        let mut text = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        text.to_lowercase()
    };
    if err.is_timeout() {
        HttpError::ConnectionTimeout
    } else if chain.contains("certificate") || chain.contains("unknownissuer") {
        HttpError::TlsCertificateError
    } else if chain.contains("dns error") || chain.contains("failed to lookup") {
        HttpError::DnsError { rcode: None, info_code: None }
    } else if chain.contains("connection refused") {
        HttpError::ConnectionRefused
    } else if err.is_connect() {
        HttpError::InternalError(Some(format!("connection failed: {chain}")))
    } else {
        HttpError::InternalError(Some(chain))
    }
}
