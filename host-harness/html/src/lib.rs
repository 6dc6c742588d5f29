//! Self-contained HTML pages (inline CSS, no scripts) for a person's browser: the sandbox's
//! authorization pages and the runner's verify route.

#![warn(missing_docs)]

/// Their content type.
pub const CONTENT_TYPE: &str = "text/html; charset=utf-8";

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

/// A page: its headers (no caching, no referrer, nothing loaded from elsewhere) and its HTML.
pub struct Page {
    /// Headers besides the content type.
    pub headers: Vec<(String, String)>,
    /// The document.
    pub html: String,
}

/// A whole page around `body` (already escaped), under a `brand` line; its forms may send the
/// browser to its own origin and to `form_origins` (`scheme://host:port`).
pub fn page(title: &str, brand: &str, body: &str, form_origins: &[&str]) -> Page {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n\
         <p class=\"brand\">{brand}</p>\n{body}\n</main>\n</body>\n</html>\n",
        title = escape(title),
        brand = escape(brand),
    );
    let headers = vec![
        ("cache-control".into(), "no-store".into()),
        // The verify route's URL carries a one-time state: no page passes it on.
        ("referrer-policy".into(), "no-referrer".into()),
        (
            "content-security-policy".into(),
            format!(
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'{}; frame-ancestors 'none'",
                form_origins.iter().map(|o| format!(" {o}")).collect::<String>()
            ),
        ),
    ];
    Page { headers, html }
}

/// `text` safe inside HTML elements and quoted attributes.
pub fn escape(text: &str) -> String {
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
