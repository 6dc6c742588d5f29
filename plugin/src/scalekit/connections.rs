//! App connections: `GET /api/v1/connections/app`, read page by page.

use serde::{Deserialize, Serialize};

use super::{ApiError, Scalekit};

/// Scalekit's maximum page size for this listing.
pub const MAX_PAGE_SIZE: u32 = 30;
/// A listing longer than this many pages is treated as a server bug, not followed forever.
const MAX_PAGES: usize = 1000;

/// One app connection, with the fields agents use.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Connection {
    /// The connection name agents pass as `--connection-name`.
    #[serde(default)]
    pub key_id: String,
    /// Provider key, e.g. `NOTION`.
    #[serde(default)]
    pub provider_key: String,
    /// `OAUTH`, `API_KEY`, `BEARER`, `BASIC`, ...
    #[serde(default, rename = "type")]
    pub kind: String,
    /// `DRAFT`, `IN_PROGRESS` or `COMPLETED`.
    #[serde(default)]
    pub status: String,
    /// Scalekit's id (`conn_...`).
    #[serde(default)]
    pub id: String,
    /// Whether the connection is enabled.
    #[serde(default)]
    pub enabled: bool,
}

impl Connection {
    /// Whether the connection's setup is finished.
    pub fn is_completed(&self) -> bool {
        self.status == "COMPLETED"
    }

    /// Whether accounts authorize through an OAuth link (as opposed to dashboard-entered credentials).
    pub fn is_oauth(&self) -> bool {
        self.kind == "OAUTH"
    }
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    connections: Vec<Connection>,
    #[serde(default)]
    next_page_token: String,
}

/// A cursor over the listing: each [`Pages::next_page`] reads one more page.
pub struct Pages<'s, 'a> {
    sk: &'s Scalekit<'a>,
    page_size: u32,
    /// The next page's token; `None` once the listing has ended.
    next: Option<String>,
    read: usize,
}

impl<'s, 'a> Pages<'s, 'a> {
    /// Nothing read yet.
    pub fn new(sk: &'s Scalekit<'a>, page_size: u32) -> Self {
        Pages { sk, page_size, next: Some(String::new()), read: 0 }
    }

    /// The next page's connections, or `None` once the listing has ended.
    pub fn next_page(&mut self) -> Result<Option<Vec<Connection>>, ApiError> {
        let Some(token) = self.next.take() else { return Ok(None) };
        if self.read >= MAX_PAGES {
            return Err(ApiError::Decode(format!("the connection listing did not end after {MAX_PAGES} pages")));
        }
        let mut query = vec![("page_size", self.page_size.to_string())];
        if !token.is_empty() {
            query.push(("page_token", token.clone()));
        }
        let page: Page = self.sk.get("/api/v1/connections/app", &query, "connection listing")?;
        self.read += 1;
        if !page.next_page_token.is_empty() {
            if page.next_page_token == token {
                return Err(ApiError::Decode("Scalekit returned the same page token twice".into()));
            }
            self.next = Some(page.next_page_token);
        }
        Ok(Some(page.connections))
    }
}

/// Reads pages in order until the listing ends or `done` returns true for a connection.
/// Returns every connection read.
pub fn scan(
    sk: &Scalekit,
    page_size: u32,
    mut done: impl FnMut(&Connection) -> bool,
) -> Result<Vec<Connection>, ApiError> {
    let mut pages = Pages::new(sk, page_size);
    let mut all = Vec::new();
    while let Some(page) = pages.next_page()? {
        let stop = page.iter().any(&mut done);
        all.extend(page);
        if stop {
            break;
        }
    }
    Ok(all)
}
