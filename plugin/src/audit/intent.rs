//! [`Intents`]: an [`HttpClient`] that leaves a write's intent line in the audit trail before the
//! write is sent, once per request (the retry layer inside it may send a refused write again).

use std::path::Path;

use super::Call;
use crate::http::retry::Kind;
use crate::http::{HttpClient, Request, Response, TransportError};

/// Records each write's intent, then sends it through `inner`.
pub struct Intents<'a> {
    inner: &'a dyn HttpClient,
    /// The call and the state folder, when the call is audited.
    audited: Option<(&'a Call<'a>, &'a Path)>,
}

impl<'a> Intents<'a> {
    /// Around `inner`, for `call` (none: a call the trail does not record) in `state_dir`.
    pub fn new(inner: &'a dyn HttpClient, call: Option<&'a Call<'a>>, state_dir: Option<&'a Path>) -> Intents<'a> {
        Intents { inner, audited: call.zip(state_dir) }
    }
}

impl HttpClient for Intents<'_> {
    fn send(&self, request: Request, sink: Option<&mut dyn std::io::Write>) -> Result<Response, TransportError> {
        if let Some((call, dir)) = self.audited.filter(|_| Kind::of(&request) == Kind::Write) {
            super::intend(dir, call, &request);
        }
        self.inner.send(request, sink)
    }
}
