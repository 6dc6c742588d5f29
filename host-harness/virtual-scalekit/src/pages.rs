//! The authorization pages a person opens at `{base_url}/magic/{token}` (no bearer needed): the
//! link's connection, provider and identifier with an "Authorize" button; pressing it completes
//! the link and shows a confirmation. An unknown (404), used (409) or expired (410) link shows why
//! at once, without a button.

use std::time::SystemTime;

use agent_auth_contract::rfc3339;
use bytes::Bytes;

use agent_auth_html::{self as html, escape};

use super::state::{Completed, LinkRefusal, MagicLink, State};
use super::{Request, Response};

/// Where the verification's `post_user_verify_redirect_url` sends the browser.
pub const VERIFIED_PATH: &str = "/connect/success";

/// Answers `GET` (review) and `POST` (authorize) on `/magic/{token}`.
pub fn route(state: &mut State, req: &Request, token: &str) -> Response {
    match req.method.as_str() {
        "GET" => review(state, token),
        "POST" => authorize(state, token),
        _ => {
            let mut response =
                page(405, "Method not allowed", "<h1>Method not allowed</h1><p>Open this link in a browser.</p>");
            response.headers.push(("allow".into(), "GET, POST".into()));
            response
        }
    }
}

/// The link's details and the "Authorize" button, or why it cannot be used.
fn review(state: &State, token: &str) -> Response {
    let Some(link) = state.link(token) else { return refused(state, token, LinkRefusal::Unknown) };
    if let Some(refusal) = link.refusal(SystemTime::now()) {
        return refused(state, token, refusal);
    }
    let connection = escape(&link.connector);
    let provider = escape(&provider_of(state, link));
    let identifier = escape(&link.identifier);
    let body = format!(
        "<h1>Authorize {connection}</h1>\
         <p>An agent asks to use <strong>{provider}</strong> on behalf of <strong>{identifier}</strong> through this connection.</p>\
         <dl><dt>Connection</dt><dd><code>{connection}</code></dd>\
         <dt>Provider</dt><dd>{provider}</dd>\
         <dt>Identifier</dt><dd>{identifier}</dd>\
         <dt>Link expires</dt><dd>{expires}</dd></dl>\
         <form method=\"post\" action=\"/magic/{token}\"><button type=\"submit\">Authorize</button></form>\
         <p class=\"note\">This is the agent-auth sandbox: no real account is touched. Authorizing marks the connected account ACTIVE.</p>",
        expires = escape(&readable(link.expires)),
        token = escape(token),
    );
    // The form's answer sends the browser on to the verify URL: the policy allows that origin too.
    let verify_origin = link.verify.as_ref().and_then(|v| origin(&v.url));
    let title = format!("Authorize {} — agent-auth sandbox", link.connector);
    sandbox_page(200, &title, &body, verify_origin.as_slice())
}

/// `scheme://host[:port]` of `url`, when it is one a policy can name.
fn origin(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let fine = !authority.is_empty() && !authority.contains(['\'', ';', ' ', ',']);
    fine.then(|| &url[..scheme.len() + 3 + authority.len()])
}

/// The page a verified person lands on.
pub fn verified() -> Response {
    page(
        200,
        "Connected — agent-auth sandbox",
        "<span class=\"status ok\">ACTIVE</span><h1>Connected</h1><p>The account is now connected: the app that asked verified it was you. You can close this window.</p>",
    )
}

/// Completes the link and confirms, sends the browser on to the app's verify URL (custom
/// verification), or shows why it cannot be completed.
fn authorize(state: &mut State, token: &str) -> Response {
    match state.complete_link(token) {
        Ok(Completed::Verify(url)) => {
            let mut response = page(
                302,
                "Verifying — agent-auth sandbox",
                "<h1>Verifying</h1><p>Returning you to the app that asked.</p>",
            );
            response.headers.push(("location".into(), url));
            response
        }
        Ok(Completed::Active(index)) => {
            let account = &state.accounts[index];
            let body = format!(
                "<span class=\"status ok\">ACTIVE</span><h1>Connected</h1>\
                 <p><strong>{connection}</strong> is now connected for <strong>{identifier}</strong>. You can close this window.</p>",
                connection = escape(&account.connector),
                identifier = escape(&account.identifier),
            );
            page(200, &format!("{} connected — agent-auth sandbox", account.connector), &body)
        }
        Err(refusal) => refused(state, token, refusal),
    }
}

/// Why a link cannot be used: 404 unknown, 409 used, 410 expired, 400 no verify URL.
fn refused(state: &State, token: &str, refusal: LinkRefusal) -> Response {
    let link = state.link(token);
    let subject = link.map_or_else(String::new, |l| {
        format!(
            " to authorize <strong>{}</strong> for <strong>{}</strong>",
            escape(&l.connector),
            escape(&l.identifier)
        )
    });
    let (status, title, text) = match refusal {
        LinkRefusal::Unknown => (
            404,
            "Link not found",
            "This authorization link is not valid. Check that you copied all of it, or ask for a new one.".to_owned(),
        ),
        LinkRefusal::Used => (
            409,
            "Link already used",
            format!(
                "This link{subject} was already used. Each link works once; if the connection is still not active, ask for a new link."
            ),
        ),
        LinkRefusal::NoVerifyUrl => (
            400,
            "Authorization failed",
            "failed_to_exchange: user_verify_url not configured for verification redirect. The app that sent this link must pass a verify URL (custom user verification).".to_owned(),
        ),
        LinkRefusal::Expired => {
            let at = link.map_or_else(String::new, |l| format!(" at {}", escape(&readable(l.expires))));
            (410, "Link expired", format!("This link{subject} expired{at}. Ask for a new link and open it right away."))
        }
    };
    page(
        status,
        &format!("{title} — agent-auth sandbox"),
        &format!("<span class=\"status refused\">{title}</span><h1>{title}</h1><p>{text}</p>"),
    )
}

/// `2026-11-21 08:02:13 UTC`
fn readable(time: SystemTime) -> String {
    rfc3339::format_system_time(time).replacen('T', " ", 1).replacen('Z', " UTC", 1)
}

/// The upper-case provider of the link's connection.
fn provider_of(state: &State, link: &MagicLink) -> String {
    state.connection(&link.connector).map(|c| c.provider_key.clone()).unwrap_or_default()
}

/// A whole page of the sandbox around `body` (already escaped).
fn page(status: u16, title: &str, body: &str) -> Response {
    sandbox_page(status, title, body, &[])
}

/// [`page`] whose forms may also send the browser to `form_origins`.
fn sandbox_page(status: u16, title: &str, body: &str, form_origins: &[&str]) -> Response {
    let page = html::page(title, "agent-auth sandbox", body, form_origins);
    Response { status, content_type: html::CONTENT_TYPE.into(), headers: page.headers, body: Bytes::from(page.html) }
}
