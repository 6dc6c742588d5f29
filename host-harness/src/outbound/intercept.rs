//! Answering the component's requests in-process (spin's outbound-HTTP interceptor shape), in
//! the `http` crate's own types: the request with its body read whole, the response to hand back.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use wasmtime_wasi_http::{Error as HttpError, WasiBody};

/// Answers requests in place of the network. An `Err` reaches the component as a transport failure.
pub trait Interceptor: Send + Sync {
    /// Answers one allowed request.
    fn intercept(&self, request: http::Request<Bytes>) -> Result<http::Response<Bytes>, HttpError>;
}

/// The response `status` with `headers` and `body`; a header that is not valid HTTP fails the
/// exchange (the component sees a transport failure), as a real server's would.
pub fn canned<K: AsRef<str>, V: AsRef<str>>(
    status: u16,
    headers: impl IntoIterator<Item = (K, V)>,
    body: impl Into<Bytes>,
) -> Result<http::Response<Bytes>, HttpError> {
    let mut builder = http::Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(name.as_ref(), value.as_ref());
    }
    builder.body(body.into()).map_err(|e| HttpError::InternalError(Some(e.to_string())))
}

/// An interceptor's response as the component receives it.
pub(crate) fn to_component(response: http::Response<Bytes>) -> http::Response<WasiBody> {
    response.map(|body| Full::new(body).map_err(|never| match never {}).boxed_unsync())
}

/// The virtual Scalekit answers in-process (`TOOL_ENV_URL=sandbox`, the demo, the tests).
#[cfg(feature = "virtual-scalekit")]
impl Interceptor for virtual_scalekit::VirtualScalekit {
    fn intercept(&self, request: http::Request<Bytes>) -> Result<http::Response<Bytes>, HttpError> {
        Ok(self.answer(request))
    }
}
