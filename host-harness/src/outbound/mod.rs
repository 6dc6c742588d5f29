//! The component's outgoing HTTP: every request is checked against the egress policy, then either
//! sent over the network or answered by an [`Interceptor`] (tests).

mod intercept;
mod real;

use std::sync::Arc;

use http_body_util::BodyExt;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

pub use intercept::{Interceptor, canned};
pub use real::{ProxySettings, RealNetwork, Tls, redacted};

use crate::sandbox::proxy_policy::ProxyGate;
use crate::sandbox::{EgressPolicy, Limits};

/// Where allowed requests go.
#[derive(Clone)]
pub enum Network {
    /// Out over the network (HTTPS verified, proxies from the environment).
    Real(RealNetwork),
    /// Answered in-process.
    Intercepted(Arc<dyn Interceptor>),
}

/// The `wasi:http` hooks of one invocation.
pub struct Outbound {
    policy: EgressPolicy,
    proxy_gate: Option<ProxyGate>,
    network: Network,
    limits: Limits,
}

impl Outbound {
    /// Hooks that enforce `policy` (and the operator's proxy policy at `proxy_gate`) and send
    /// through `network`.
    pub fn new(policy: EgressPolicy, proxy_gate: Option<ProxyGate>, network: Network, limits: Limits) -> Self {
        Outbound { policy, proxy_gate, network, limits }
    }
}

/// The largest request body the host buffers: one answered in-process (the real network streams).
const MAX_REQUEST_BODY: usize = 96 << 20;

/// Reads a request body, refusing one larger than [`MAX_REQUEST_BODY`].
pub(crate) async fn read_body(body: WasiBody) -> Result<bytes::Bytes, HttpError> {
    match http_body_util::Limited::new(body, MAX_REQUEST_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(_) => Err(HttpError::HttpRequestBodySize(None)),
    }
}

type ResponseFuture = Box<
    dyn Future<
            Output = Result<
                (http::Response<WasiBody>, Box<dyn Future<Output = Result<(), HttpError>> + Send>),
                HttpError,
            >,
        > + Send,
>;

impl WasiHttpHooks for Outbound {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        _options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> ResponseFuture {
        let allowed =
            self.policy.allows(request.uri()) && self.proxy_gate.as_ref().is_none_or(|gate| gate.admits(&request));
        let network = self.network.clone();
        let limits = self.limits.clone();
        Box::new(async move {
            if !allowed {
                // Let the component finish writing its body first: refusing mid-body would reach it
                // as a broken stream instead of the denial.
                let _ = read_body(request.into_body()).await;
                return Err(HttpError::HttpRequestDenied);
            }
            let response = match network {
                Network::Real(net) => net.send(request, &limits).await?,
                Network::Intercepted(interceptor) => {
                    let (parts, body) = request.into_parts();
                    let body = read_body(body).await?;
                    intercept::to_component(interceptor.intercept(http::Request::from_parts(parts, body))?)
                }
            };
            Ok((response, Box::new(async { Ok(()) }) as Box<dyn Future<Output = _> + Send>))
        })
    }
}
