//! Real network I/O through reqwest: verified HTTPS (webpki roots plus any `SSL_CERT_FILE`
//! bundle), `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`, no redirects, and the sandbox's timeouts.

use std::path::Path;

use anyhow::Context;
use futures_util::TryStreamExt;
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};
use wasmtime_wasi_http::{Error as HttpError, WasiBody};

use crate::sandbox::Limits;

/// Outbound proxies, from `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (either case).
#[derive(Debug, Clone, Default)]
pub struct ProxySettings {
    /// Proxy for https requests.
    pub https: Option<String>,
    /// Proxy for plain http requests.
    pub http: Option<String>,
    /// Hosts that bypass the proxies.
    pub no_proxy: Option<String>,
}

impl ProxySettings {
    /// Reads the usual variables through `get`.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Self {
        let first = |names: &[&str]| names.iter().find_map(|n| get(n)).filter(|v| !v.trim().is_empty());
        let all = first(&["ALL_PROXY", "all_proxy"]);
        ProxySettings {
            https: first(&["HTTPS_PROXY", "https_proxy"]).or_else(|| all.clone()),
            http: first(&["HTTP_PROXY", "http_proxy"]).or(all),
            no_proxy: first(&["NO_PROXY", "no_proxy"]),
        }
    }
}

/// What HTTPS trusts.
#[derive(Debug, Clone, Copy)]
pub enum Tls<'a> {
    /// Nothing: the call makes no HTTPS request (plain http to loopback, through no HTTPS proxy).
    Off,
    /// The built-in roots, and the CA bundle of `SSL_CERT_FILE` when given.
    Verified {
        /// `SSL_CERT_FILE`.
        extra_ca_bundle: Option<&'a Path>,
    },
}

/// A proxy URL fit to print: without the user and password of its authority; a value that is not
/// a URL is not printed at all.
pub fn redacted(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if parsed.has_host() => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string().trim_end_matches('/').to_owned()
        }
        _ => "(set, but not a URL)".to_owned(),
    }
}

impl ProxySettings {
    /// Whether reaching a proxy itself takes HTTPS.
    pub fn any_https(&self) -> bool {
        [&self.https, &self.http].into_iter().flatten().any(|url| url.trim().to_ascii_lowercase().starts_with("https:"))
    }
}

/// A shared HTTPS client.
#[derive(Clone)]
pub struct RealNetwork {
    client: reqwest::Client,
}

impl RealNetwork {
    /// A client with the sandbox's timeouts and `proxies`; trusts `extra_ca_bundle` (PEM) in
    /// addition to the built-in roots.
    ///
    /// With `tls` [`Tls::Off`] (a call that makes no HTTPS request) no root is loaded at all.
    pub fn new(limits: &Limits, proxies: &ProxySettings, tls: Tls) -> anyhow::Result<Self> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(limits.connect_timeout)
            .read_timeout(limits.between_bytes_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(std::sync::Arc::new(Resolver))
            .no_proxy(); // only the proxies given here, whether they came from the environment or .env
        let bypass = || proxies.no_proxy.as_deref().and_then(reqwest::NoProxy::from_string);
        if let Some(url) = &proxies.https {
            builder = builder.proxy(
                reqwest::Proxy::https(url)
                    .with_context(|| format!("HTTPS_PROXY {} is not a URL", redacted(url)))?
                    .no_proxy(bypass()),
            );
        }
        if let Some(url) = &proxies.http {
            builder = builder.proxy(
                reqwest::Proxy::http(url)
                    .with_context(|| format!("HTTP_PROXY {} is not a URL", redacted(url)))?
                    .no_proxy(bypass()),
            );
        }
        let extra_ca_bundle = match tls {
            Tls::Off => {
                builder = builder.tls_built_in_root_certs(false);
                None
            }
            Tls::Verified { extra_ca_bundle } => extra_ca_bundle,
        };
        if let Some(path) = extra_ca_bundle {
            // Never the file's bytes in a message: only what went wrong.
            let pem = std::fs::read(path)
                .map_err(|e| anyhow::anyhow!("cannot read the CA bundle {} ({})", path.display(), e.kind()))?;
            let bundle = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|_| anyhow::anyhow!("{} is not a PEM bundle", path.display()))?;
            for cert in bundle {
                builder = builder.add_root_certificate(cert);
            }
        }
        Ok(RealNetwork { client: builder.build()? })
    }

    pub(crate) async fn send(
        &self,
        request: http::Request<WasiBody>,
        limits: &Limits,
    ) -> Result<http::Response<WasiBody>, HttpError> {
        let (parts, body) = request.into_parts();
        // Streamed as the component writes it: an upload is never whole in the runner's memory.
        let body = reqwest::Body::wrap_stream(body.into_data_stream());
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
        builder.body(StreamBody::new(stream).boxed_unsync()).map_err(|e| HttpError::InternalError(Some(e.to_string())))
    }
}

/// A failed DNS lookup, raised by [`Resolver`] so that it is recognised by type.
#[derive(Debug)]
struct DnsFailure(std::io::Error);

impl std::fmt::Display for DnsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DNS lookup failed: {}", self.0)
    }
}

impl std::error::Error for DnsFailure {}

/// The system resolver (`getaddrinfo`, as reqwest's default), whose failures are [`DnsFailure`]s.
struct Resolver;

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((name.as_str(), 0)).await.map_err(DnsFailure)?;
            Ok(Box::new(addrs.collect::<Vec<_>>().into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Every error in `err`'s chain, outermost first. An `io::Error` hides the error it wraps from
/// `source()` (hyper-rustls wraps tokio-rustls' io::Error, which wraps rustls' error), so the walk
/// goes into what it wraps instead.
fn causes<'e>(
    err: &'e (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'e (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(err), |e| match e.downcast_ref::<std::io::Error>() {
        Some(io) => io.get_ref().map(|inner| inner as &(dyn std::error::Error + 'static)),
        None => e.source(),
    })
}

/// Maps a reqwest failure to the closest `wasi:http` error code, by the types in its source chain:
/// a timeout, a [`DnsFailure`], a rustls error (certificate or handshake), a refused connection.
fn classify(err: reqwest::Error) -> HttpError {
    // The URL may carry a credential in its query (an MCP instance URL): never in a message.
    let err = err.without_url();
    if err.is_timeout() {
        return HttpError::ConnectionTimeout;
    }
    for cause in causes(&err) {
        if cause.is::<DnsFailure>() {
            return HttpError::DnsError { rcode: None, info_code: None };
        }
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return match tls {
                rustls::Error::InvalidCertificate(_) => HttpError::TlsCertificateError,
                _ => HttpError::TlsProtocolError,
            };
        }
        let io_kind = cause.downcast_ref::<std::io::Error>().map(std::io::Error::kind);
        if io_kind == Some(std::io::ErrorKind::ConnectionRefused) {
            return HttpError::ConnectionRefused;
        }
        // The server closed the connection during the handshake: it does not speak TLS there.
        if err.is_connect() && io_kind == Some(std::io::ErrorKind::UnexpectedEof) {
            return HttpError::TlsProtocolError;
        }
        if cause.downcast_ref::<hyper::Error>().is_some_and(hyper::Error::is_incomplete_message) {
            return HttpError::ConnectionTerminated;
        }
    }
    let chain = causes(&err).map(ToString::to_string).collect::<Vec<_>>().join(": ");
    HttpError::InternalError(Some(if err.is_connect() { format!("connection failed: {chain}") } else { chain }))
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    /// A server that answers anything with bytes that are not HTTP.
    fn garbage_server() -> std::net::SocketAddr {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let _ = stream.read(&mut [0; 4096]);
                let _ = stream.write_all(b"NOT HTTP AT ALL\r\n\r\n");
            }
        });
        addr
    }

    #[test]
    fn a_failure_never_names_the_url_whose_query_may_hold_a_credential() {
        let addr = garbage_server();
        let url = format!("http://{addr}/mcp/v3/instances/mcpi_1?token=s3cret-in-the-query");
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let err = runtime.block_on(reqwest::Client::new().get(&url).send()).expect_err("not HTTP");
        assert!(err.to_string().contains("s3cret"), "reqwest names the URL: {err}");
        let HttpError::InternalError(Some(text)) = classify(err) else { panic!("an internal error") };
        assert!(!text.contains("s3cret") && !text.contains("/mcp/"), "{text}");
    }
}
