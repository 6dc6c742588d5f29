//! The retry policy, by request kind, in one place: an [`HttpClient`] around another. It reads
//! only HTTP: the method, the status, `Retry-After`, and the marks the module that built the
//! request put on it (Scalekit's client and the MCP session know what their requests do).
//!
//! - **Reads** ([`Kind::Read`]: what changes nothing, or only mints a fresh link) are sent again
//!   after 429, 502, 503 or 504 and after a connection failure: at most [`ATTEMPTS`] in all,
//!   apart by exponential backoff with full jitter, or by `Retry-After` when the server gives
//!   one of at most [`RETRY_AFTER_MAX`]. A longer `Retry-After` is not slept: the answer stands
//!   at once.
//! - **Writes** ([`Kind::Write`], and any request without a mark) are never sent again once they
//!   may have reached the server; only after a refusal that proves nothing ran: the connection
//!   refused, or a 429 that the request's [`Refusal`] mark says is the server's own refusal
//!   (Scalekit's gateway, not a provider's answer passed on).
//!
//! A write whose connection was lost once sent is [`TransportError::OutcomeUnknown`]: it may
//! have run. A wait over a second is reported on stderr. [`Retrying::attempts`] tells the most attempts
//! one request took, for the result.

use std::cell::Cell;
use std::time::Duration;

use agent_auth_contract::http_date;

use super::{HttpClient, Request, Response, TransportError, header};

/// The most times one request is sent.
pub const ATTEMPTS: u32 = 3;
/// The longest `Retry-After` that is waited for; a longer one ends the call.
pub const RETRY_AFTER_MAX: Duration = Duration::from_secs(30);
/// The first backoff's ceiling; each attempt doubles it.
const BACKOFF_BASE: Duration = Duration::from_millis(500);
/// Statuses a read is sent again after.
const TRANSIENT: [u16; 4] = [429, 502, 503, 504];

/// What a request may risk being sent twice: marked on it (an extension) by whoever builds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Sending it again changes nothing.
    Read,
    /// It may change something: never sent twice unless nothing ran.
    Write,
}

impl Kind {
    /// The kind `request` is marked with; a request without a mark is a write.
    pub fn of(request: &Request) -> Kind {
        request.extensions().get::<Kind>().copied().unwrap_or(Kind::Write)
    }

    /// The kind of a request by its method alone: `GET` and `HEAD` read, the rest may write.
    pub fn by_method(method: &str) -> Kind {
        if matches!(method, "GET" | "HEAD") { Kind::Read } else { Kind::Write }
    }

    /// `request`, marked with this kind.
    pub fn mark<B>(self, mut request: http::Request<B>) -> http::Request<B> {
        request.extensions_mut().insert(self);
        request
    }
}

/// A mark on a write: which 429 answers prove that nothing ran (the server the request was for
/// refused it itself). Without the mark, no answer proves it.
#[derive(Debug, Clone, Copy)]
pub struct Refusal(pub fn(&Response) -> bool);

impl Refusal {
    /// Whether `response` to `request` proves that nothing ran.
    fn proves_nothing_ran(request: &Request, response: &Response) -> bool {
        request.extensions().get::<Refusal>().is_some_and(|refusal| (refusal.0)(response))
    }
}

/// An [`HttpClient`] that sends again what the policy allows.
pub struct Retrying<'a> {
    inner: &'a dyn HttpClient,
    most: Cell<u32>,
}

impl<'a> Retrying<'a> {
    /// Around `inner`.
    pub fn new(inner: &'a dyn HttpClient) -> Retrying<'a> {
        Retrying { inner, most: Cell::new(1) }
    }

    /// The most attempts one request of this call took (1 when none was sent again).
    pub fn attempts(&self) -> u32 {
        self.most.get()
    }
}

/// Why the answer to attempt `attempt` may be followed by another, and after how long.
enum Verdict {
    Final,
    Again(Duration, String),
}

/// The seconds a `Retry-After` value asks for: a number, or an HTTP date from now.
pub fn retry_after_seconds(value: &str) -> Option<u64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds);
    }
    let at = http_date::parse(value)?;
    Some(at.saturating_sub(crate::clock::now()).max(0) as u64)
}

/// The pause before attempt `attempt + 1`: `jitter` (from 0 to 1, drawn at random: full jitter)
/// of `BACKOFF_BASE * 2^(attempt - 1)`.
fn backoff(attempt: u32, jitter: f64) -> Duration {
    (BACKOFF_BASE * 2u32.pow(attempt.saturating_sub(1))).mul_f64(jitter.clamp(0.0, 1.0))
}

/// Whether to send `request` again after its answer `outcome` to attempt `attempt` (`jitter`
/// scales the backoff); `streamed`: the body goes to a sink, which a failure may have written
/// part of.
fn verdict(
    request: &Request,
    (attempt, jitter): (u32, f64),
    streamed: bool,
    outcome: &Result<Response, TransportError>,
) -> Verdict {
    if attempt >= ATTEMPTS {
        return Verdict::Final;
    }
    let kind = Kind::of(request);
    match outcome {
        Err(TransportError::Refused) => Verdict::Again(backoff(attempt, jitter), "the connection was refused".into()),
        Err(TransportError::Lost(what)) if kind == Kind::Read && !streamed => {
            Verdict::Again(backoff(attempt, jitter), what.clone())
        }
        Ok(response)
            if TRANSIENT.contains(&response.status().as_u16())
                && (kind == Kind::Read
                    || (response.status() == 429 && Refusal::proves_nothing_ran(request, response))) =>
        {
            let why = format!("the server answered HTTP {}", response.status().as_u16());
            match header(response, "retry-after").and_then(retry_after_seconds).map(Duration::from_secs) {
                Some(wait) if wait > RETRY_AFTER_MAX => Verdict::Final,
                Some(wait) => Verdict::Again(wait, why),
                None => Verdict::Again(backoff(attempt, jitter), why),
            }
        }
        _ => Verdict::Final,
    }
}

impl HttpClient for Retrying<'_> {
    fn send(&self, request: Request, mut sink: Option<&mut dyn std::io::Write>) -> Result<Response, TransportError> {
        let kind = Kind::of(&request);
        let mut attempt = 1;
        loop {
            let outcome = self.inner.send(request.clone(), sink.as_mut().map(|s| &mut **s as &mut dyn std::io::Write));
            let jitter = (crate::bindings::wasi::random::random::get_random_u64() % 10_000) as f64 / 10_000.0;
            match verdict(&request, (attempt, jitter), sink.is_some(), &outcome) {
                Verdict::Final => {
                    return match outcome {
                        Err(TransportError::Lost(what)) if kind == Kind::Write => {
                            Err(TransportError::OutcomeUnknown(what))
                        }
                        outcome => outcome,
                    };
                }
                Verdict::Again(wait, why) => {
                    if wait > Duration::from_secs(1) {
                        crate::output::progress(&format!(
                            "{why}; trying again in {:.1} s (attempt {} of {ATTEMPTS})",
                            wait.as_secs_f64(),
                            attempt + 1
                        ));
                    }
                    std::thread::sleep(wait);
                    attempt += 1;
                    self.most.set(self.most.get().max(attempt));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{request, response};

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Result<Response, TransportError> {
        Ok(response(status, headers, body))
    }

    /// A request marked `kind`, and with `refusal` when given.
    fn marked(kind: Kind, refusal: Option<Refusal>) -> Request {
        let mut sent = kind.mark(request("POST", "https://acme.scalekit.cloud/x", [], None).unwrap());
        if let Some(refusal) = refusal {
            sent.extensions_mut().insert(refusal);
        }
        sent
    }

    fn again(
        request: &Request,
        attempt: u32,
        streamed: bool,
        outcome: Result<Response, TransportError>,
    ) -> Option<Duration> {
        match verdict(request, (attempt, 0.999), streamed, &outcome) {
            Verdict::Again(wait, _) => Some(wait),
            Verdict::Final => None,
        }
    }

    #[test]
    fn a_request_without_a_mark_is_a_write() {
        assert_eq!(Kind::of(&request("GET", "https://x/y", [], None).unwrap()), Kind::Write);
        assert_eq!(Kind::of(&marked(Kind::Read, None)), Kind::Read);
        assert_eq!((Kind::by_method("GET"), Kind::by_method("HEAD")), (Kind::Read, Kind::Read));
        assert_eq!((Kind::by_method("POST"), Kind::by_method("PATCH")), (Kind::Write, Kind::Write));
    }

    #[test]
    fn writes_go_again_only_when_nothing_ran() {
        let its_own = Refusal(|r| r.body().is_empty());
        let (gateway, proxied) = (marked(Kind::Write, Some(its_own)), marked(Kind::Write, None));
        let retry_after = [("retry-after", "2")];
        assert_eq!(again(&gateway, 1, false, answer(429, &retry_after, "")), Some(Duration::from_secs(2)));
        assert_eq!(again(&gateway, 1, false, answer(429, &[], "passed on")), None, "an answer passed on");
        assert_eq!(again(&proxied, 1, false, answer(429, &[], "")), None, "no mark: nothing proves it");
        assert_eq!(again(&gateway, 1, false, answer(503, &[], "")), None);
        assert_eq!(again(&gateway, 1, false, Err(TransportError::Lost("reset".into()))), None);
        assert!(again(&proxied, 1, false, Err(TransportError::Refused)).is_some());
    }

    #[test]
    fn reads_go_again_three_times_at_most_and_never_sleep_a_long_retry_after() {
        let read = marked(Kind::Read, None);
        for attempt in 1..ATTEMPTS {
            let wait = again(&read, attempt, false, answer(503, &[], "")).expect("again");
            assert!(wait <= BACKOFF_BASE * 2u32.pow(attempt - 1), "{wait:?}");
        }
        assert_eq!(again(&read, ATTEMPTS, false, answer(503, &[], "")), None);
        assert_eq!(again(&read, 1, false, answer(429, &[("retry-after", "31")], "")), None);
        assert_eq!(again(&read, 1, false, answer(404, &[], "")), None);
        assert_eq!(again(&read, 1, false, Err(TransportError::Failed("DNS".into()))), None, "DNS does not mend");
        assert_eq!(again(&read, 1, true, Err(TransportError::Lost("cut".into()))), None, "a half-written sink");
        assert!(again(&read, 1, false, Err(TransportError::Lost("cut".into()))).is_some());
    }
}
