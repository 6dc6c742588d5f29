//! The authorization pages a person opens at `{base_url}/magic/{token}` (no bearer needed): the
//! link's connection, provider and identifier with an "Authorize" button; pressing it completes
//! the link and shows a confirmation. An unknown (404), used (409) or expired (410) link shows why
//! at once, without a button.

use std::time::SystemTime;

use agent_auth_contract::rfc3339;
use bytes::Bytes;

use super::state::{LinkRefusal, MagicLink, State};
use super::{Request, Response};

const STYLE: &str = "
:root { color-scheme: light dark; --accent: #4f46e5; --muted: #6b7280; --line: #e5e7eb; --card: #ffffff; --page: #f3f4f6; }
@media (prefers-color-scheme: dark) { :root { --muted: #9ca3af; --line: #374151; --card: #1f2937; --page: #111827; } }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; padding: 24px;
  font: 16px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; background: var(--page); }
main { width: 100%; max-width: 440px; background: var(--card); border: 1px solid var(--line); border-radius: 14px;
  padding: 32px; box-shadow: 0 10px 30px rgb(0 0 0 / 0.08); }
.brand { margin: 0 0 20px; font-size: 13px; font-weight: 600; letter-spacing: 0.06em; text-transform: uppercase; color: var(--muted); }
h1 { margin: 0 0 12px; font-size: 22px; line-height: 1.3; overflow-wrap: anywhere; }
p { margin: 0 0 16px; overflow-wrap: anywhere; }
dl { display: grid; grid-template-columns: auto 1fr; gap: 8px 16px; margin: 20px 0 24px; padding: 16px 0;
  border-top: 1px solid var(--line); border-bottom: 1px solid var(--line); }
dt { color: var(--muted); }
dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
code { font: 14px ui-monospace, SFMono-Regular, Menlo, monospace; }
button { width: 100%; padding: 12px 16px; border: 0; border-radius: 10px; background: var(--accent); color: #fff;
  font: inherit; font-weight: 600; cursor: pointer; }
button:hover { filter: brightness(1.1); }
button:focus-visible { outline: 3px solid var(--accent); outline-offset: 3px; }
.note { margin: 20px 0 0; font-size: 13px; color: var(--muted); }
.status { display: inline-block; margin-bottom: 12px; padding: 2px 10px; border-radius: 999px; font-size: 13px; font-weight: 600; }
.ok { background: #dcfce7; color: #166534; }
.refused { background: #fee2e2; color: #991b1b; }
";

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
    page(200, &format!("Authorize {} — agent-auth sandbox", link.connector), &body)
}

/// Completes the link and confirms, or shows why it cannot be completed.
fn authorize(state: &mut State, token: &str) -> Response {
    match state.complete_link(token) {
        Ok(index) => {
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

/// Why a link cannot be used: 404 unknown, 409 used, 410 expired.
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

/// A whole page around `body` (already escaped), self-contained: inline CSS, no scripts.
fn page(status: u16, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n\
         <p class=\"brand\">agent-auth sandbox</p>\n{body}\n</main>\n</body>\n</html>\n",
        title = escape(title),
    );
    Response {
        status,
        content_type: "text/html; charset=utf-8".into(),
        headers: vec![
            ("cache-control".into(), "no-store".into()),
            ("referrer-policy".into(), "no-referrer".into()),
            (
                "content-security-policy".into(),
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'".into(),
            ),
        ],
        body: Bytes::from(html),
    }
}

/// `text` safe inside HTML elements and quoted attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("notion-ijIQedmJ — ok"), "notion-ijIQedmJ — ok");
    }
}
