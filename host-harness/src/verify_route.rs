//! The verify route on loopback: where Scalekit sends a person's browser after they approve an
//! authorization link, in custom user verification with a loopback verify URL. While a call waits
//! for a person (`--wait`, `wait_for_authorization`, the life of `agent-auth mcp`), the runner
//! serves `GET {path}?auth_request_id=...&state=...` on the addresses the URL names: each callback
//! is finished by a [`Finisher`] (the runner runs the component's `--verify-user`, which checks
//! the state and confirms the person to Scalekit), then the browser goes on to Scalekit's next
//! page, or is told what went wrong. The route is reachable from this machine only, so a link
//! that reached someone else's browser finishes nothing.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use agent_auth_contract::verification::{AUTH_REQUEST_ID_MAX, LoopbackRoute, RouteHolder, STATE_MAX, callback_value};
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use agent_auth_html as html;

/// How long a browser may take to send its request: a moment (it is on this machine).
const READ_TIMEOUT: Duration = Duration::from_secs(3);
/// Connections open at once; more wait to be accepted.
const CONNECTIONS: usize = 64;
/// How long callbacks being finished may take once the route is told to stop.
const GRACE: Duration = Duration::from_secs(15);
/// The header that tells the route apart from another program on its port (`--doctor`).
pub const MARK_HEADER: &str = "x-agent-auth-verify-route";

/// What became of one callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The account is active: for whom, and where Scalekit sends the browser next (if anywhere).
    Verified {
        /// The connection.
        connection: String,
        /// The person.
        identifier: String,
        /// Scalekit's next page.
        next: Option<String>,
    },
    /// Refused (a state that is not one to finish here, another person): why, and what to do.
    Refused {
        /// Why.
        message: String,
        /// What to do.
        hint: String,
    },
    /// It could not be finished now (Scalekit or the network failed): why, and what to do.
    Failed {
        /// Why.
        message: String,
        /// What to do.
        hint: String,
    },
}

/// Finishes callbacks: the runner, running the component's `--verify-user`.
pub trait Finisher: Sync {
    /// Finishes the callback with these values.
    fn finish(&self, auth_request_id: &str, state: &str) -> impl Future<Output = Verdict> + Send;
    /// Whether the browser may be sent on to `url` (Scalekit's next page).
    fn may_send_to(&self, url: &str) -> bool;
}

/// A bound route, served by [`Route::serve`].
pub struct Route {
    listeners: Vec<TcpListener>,
    path: String,
    /// One verification at a time: a flood of callbacks queues, it does not pile up instances.
    verifying: tokio::sync::Semaphore,
}

impl Route {
    /// Binds the route's port on each address its URL names (an address this machine does not
    /// have is left out); an error when the port is taken on any (by another program, or by
    /// another agent-auth serving the same route, which then finishes the links).
    pub async fn bind(route: &LoopbackRoute) -> std::io::Result<Route> {
        let mut listeners = Vec::new();
        for addr in &route.addrs {
            match TcpListener::bind(SocketAddr::new(*addr, route.port)).await {
                Ok(listener) => listeners.push(listener),
                Err(e) if e.kind() == std::io::ErrorKind::AddrNotAvailable => {}
                Err(e) => return Err(e),
            }
        }
        if listeners.is_empty() {
            return Err(std::io::ErrorKind::AddrNotAvailable.into());
        }
        Ok(Route { listeners, path: route.path.clone(), verifying: tokio::sync::Semaphore::new(1) })
    }

    /// Answers callbacks, each finished by `finisher`, until `stop` resolves; then lets the
    /// callbacks already begun finish (a browser is never cut off mid-verification).
    pub async fn serve(self, finisher: &impl Finisher, stop: impl Future<Output = ()>) {
        let mut connections = FuturesUnordered::new();
        let mut stop = std::pin::pin!(stop);
        loop {
            let accepts = self.listeners.iter().map(|l| Box::pin(l.accept()));
            tokio::select! {
                () = &mut stop => break,
                (accepted, _, _) = futures_util::future::select_all(accepts), if connections.len() < CONNECTIONS => {
                    let Ok((stream, _)) = accepted else {
                        // Out of descriptors, say: a pause, not a busy loop.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    };
                    let service = service_fn(|request| answer(request, &self, finisher));
                    let connection = hyper::server::conn::http1::Builder::new()
                        .header_read_timeout(READ_TIMEOUT)
                        .timer(hyper_util::rt::TokioTimer::new())
                        .keep_alive(false)
                        .serve_connection(TokioIo::new(stream), service);
                    connections.push(connection);
                }
                Some(_) = connections.next(), if !connections.is_empty() => {}
            }
        }
        let _ = tokio::time::timeout(GRACE, async { while connections.next().await.is_some() {} }).await;
    }
}

/// Who holds the route's port now, for `--doctor`.
pub async fn holder(route: &LoopbackRoute) -> RouteHolder {
    if Route::bind(route).await.is_ok() {
        return RouteHolder::Free;
    }
    let probe = async {
        let addr = SocketAddr::new(*route.addrs.first()?, route.port);
        let stream = tokio::net::TcpStream::connect(addr).await.ok()?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream)).await.ok()?;
        tokio::spawn(connection);
        let request =
            hyper::Request::get(route.path.as_str()).header("host", "127.0.0.1").body(Full::new(Bytes::new())).ok()?;
        let response = sender.send_request(request).await.ok()?;
        Some(response.headers().contains_key(MARK_HEADER))
    };
    match tokio::time::timeout(Duration::from_secs(2), probe).await {
        Ok(Some(true)) => RouteHolder::AgentAuth,
        _ => RouteHolder::Other,
    }
}

/// The answer to one request.
async fn answer(
    request: hyper::Request<Incoming>,
    route: &Route,
    finisher: &impl Finisher,
) -> Result<hyper::Response<Full<Bytes>>, std::convert::Infallible> {
    if request.uri().path() != route.path {
        return Ok(page(
            404,
            "Not found",
            "<h1>Not found</h1><p>This is agent-auth's verify route; nothing else is here.</p>",
        ));
    }
    if request.method() != hyper::Method::GET {
        return Ok(page(
            405,
            "Method not allowed",
            "<h1>Method not allowed</h1><p>Open the authorization link in a browser.</p>",
        ));
    }
    let query = request.uri().query().unwrap_or_default();
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let one = |name: &str, most: usize| {
        let mut values = pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
        values.next().filter(|v| values.next().is_none() && callback_value(v, most))
    };
    let (Some(auth_request_id), Some(state)) = (one("auth_request_id", AUTH_REQUEST_ID_MAX), one("state", STATE_MAX))
    else {
        return Ok(page(
            400,
            "Incomplete link",
            "<span class=\"status refused\">Not verified</span><h1>Incomplete link</h1>\
             <p>This address needs the auth_request_id and state Scalekit adds to it. Open the authorization link again.</p>",
        ));
    };
    let _turn = route.verifying.acquire().await;
    Ok(match finisher.finish(auth_request_id, state).await {
        Verdict::Verified { connection, identifier, next } => {
            let next = next
                .filter(|url| finisher.may_send_to(url))
                .and_then(|url| hyper::header::HeaderValue::from_str(&url).ok());
            let mut response = page(
                if next.is_some() { 303 } else { 200 },
                "Connected",
                &format!(
                    "<span class=\"status ok\">ACTIVE</span><h1>Connected</h1>\
                     <p><strong>{}</strong> is now connected for <strong>{}</strong>. You can close this window.</p>",
                    html::escape(&connection),
                    html::escape(&identifier)
                ),
            );
            if let Some(next) = next {
                response.headers_mut().insert(hyper::header::LOCATION, next);
            }
            response
        }
        Verdict::Refused { message, hint } => not_verified(403, &message, &hint),
        Verdict::Failed { message, hint } => not_verified(502, &message, &hint),
    })
}

/// The page of a callback that finished nothing.
fn not_verified(status: u16, message: &str, hint: &str) -> hyper::Response<Full<Bytes>> {
    let mut letters = message.chars();
    let sentence: String = letters.next().map(|c| c.to_uppercase().chain(letters).collect()).unwrap_or_default();
    page(
        status,
        "Not verified",
        &format!(
            "<span class=\"status refused\">Not verified</span><h1>Not verified</h1><p>{}.</p><p>{}</p>",
            html::escape(&sentence),
            html::escape(hint)
        ),
    )
}

/// A page of the route.
fn page(status: u16, title: &str, body: &str) -> hyper::Response<Full<Bytes>> {
    let page = html::page(&format!("{title} — agent-auth"), "agent-auth", body, &[]);
    let mut response = hyper::Response::new(Full::new(Bytes::from(page.html)));
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    let extra = [("content-type", html::CONTENT_TYPE), (MARK_HEADER, "1")];
    for (name, value) in page.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).chain(extra) {
        if let (Ok(name), Ok(value)) =
            (hyper::header::HeaderName::from_bytes(name.as_bytes()), hyper::header::HeaderValue::from_str(value))
        {
            headers.insert(name, value);
        }
    }
    response
}

/// Whether the browser may be sent on to Scalekit's `url`: an `https` page, or a page of the
/// environment `environment` itself (the virtual Scalekit's plain `http` on loopback).
pub fn onward(url: &str, environment: &str) -> bool {
    let environment = environment.trim_end_matches('/');
    let own = !environment.is_empty() && url.strip_prefix(environment).is_some_and(|rest| rest.starts_with('/'));
    url.starts_with("https://") || own
}

#[cfg(test)]
mod tests {
    use super::onward;

    #[test]
    fn the_browser_goes_on_only_to_https_or_the_environment_itself() {
        let loopback_env = "http://127.0.0.1:4000";
        assert!(onward("https://acme.scalekit.cloud/connect/success", loopback_env));
        assert!(onward("http://127.0.0.1:4000/connect/success", loopback_env));
        for elsewhere in [
            "http://evil.example/",
            "http://127.0.0.1:40001/x",
            "http://127.0.0.1:4000@evil/x",
            "javascript:alert(1)",
            "data:text/html,x",
        ] {
            assert!(!onward(elsewhere, loopback_env), "{elsewhere}");
        }
    }
}
