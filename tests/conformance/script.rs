//! The scripted Scalekit of a case: it serves the case's responses in order and records every
//! request the component sent.

use std::sync::Mutex;

use agent_auth_host::outbound::{Interceptor, canned};
use base64::Engine;
use bytes::Bytes;
use wasmtime_wasi_http::Error as HttpError;

use super::case::Respond;

/// Serves the scripted responses in order and records every request.
pub struct Script {
    /// What to answer, in order; a request past the end is refused.
    pub responses: Vec<Respond>,
    /// Every request, in order.
    pub log: Mutex<Vec<http::Request<Bytes>>>,
}

impl Interceptor for Script {
    fn intercept(&self, request: http::Request<Bytes>) -> Result<http::Response<Bytes>, HttpError> {
        let mut log = self.log.lock().unwrap();
        let index = log.len();
        log.push(request);
        let Some(r) = self.responses.get(index) else { return Err(HttpError::ConnectionRefused) };
        match r.transport_error.as_deref() {
            Some("ConnectionRefused") => return Err(HttpError::ConnectionRefused),
            Some("ConnectionTimeout") => return Err(HttpError::ConnectionTimeout),
            Some("DnsError") => return Err(HttpError::DnsError { rcode: None, info_code: None }),
            Some("ConnectionTerminated") => return Err(HttpError::ConnectionTerminated),
            Some(other) => panic!("unknown transport_error {other}"),
            None => {}
        }
        let mut headers: Vec<(String, String)> = r.headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let body = if let Some(json) = &r.json {
            if !r.headers.keys().any(|k| k.eq_ignore_ascii_case("content-type")) {
                headers.push(("content-type".into(), "application/json".into()));
            }
            serde_json::to_vec(json).unwrap()
        } else if let Some(b64) = &r.body_base64 {
            base64::engine::general_purpose::STANDARD.decode(b64).expect("valid body_base64")
        } else {
            r.body.clone().unwrap_or_default().into_bytes()
        };
        canned(r.status, headers, body)
    }
}
