//! The environment's connections, read page by page only as far as a question needs, and read
//! once per invocation however many services ask.

use serde::Deserialize;

use crate::scalekit::connections::{Connection, MAX_PAGE_SIZE};
use crate::scalekit::{ApiError, Scalekit};

/// A listing longer than this many pages is treated as a server bug, not followed forever.
const MAX_PAGES: usize = 1000;

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    connections: Vec<Connection>,
    #[serde(default)]
    next_page_token: String,
}

/// `GET /api/v1/connections/app`, cached across the services of one `--get-token`.
pub struct Catalogue<'s, 'a> {
    sk: &'s Scalekit<'a>,
    loaded: Vec<Connection>,
    /// The next page's token; `None` once the listing has ended.
    next: Option<String>,
    pages: usize,
}

impl<'s, 'a> Catalogue<'s, 'a> {
    /// Nothing read yet.
    pub fn new(sk: &'s Scalekit<'a>) -> Self {
        Catalogue { sk, loaded: Vec::new(), next: Some(String::new()), pages: 0 }
    }

    /// Reads one more page; false when the listing had already ended.
    fn more(&mut self) -> Result<bool, ApiError> {
        let Some(token) = self.next.take() else { return Ok(false) };
        if self.pages >= MAX_PAGES {
            return Err(ApiError::Decode(format!("the connection listing did not end after {MAX_PAGES} pages")));
        }
        let mut query = vec![("page_size", MAX_PAGE_SIZE.to_string())];
        if !token.is_empty() {
            query.push(("page_token", token.clone()));
        }
        let page: Page = self.sk.get("/api/v1/connections/app", &query, "connection listing")?;
        self.pages += 1;
        self.loaded.extend(page.connections);
        if !page.next_page_token.is_empty() {
            if page.next_page_token == token {
                return Err(ApiError::Decode("Scalekit returned the same page token twice".into()));
            }
            self.next = Some(page.next_page_token);
        }
        Ok(true)
    }

    /// The connection named `name` (its `key_id`), reading pages until it turns up.
    pub fn find(&mut self, name: &str) -> Result<Option<Connection>, ApiError> {
        loop {
            if let Some(c) = self.loaded.iter().find(|c| c.key_id == name) {
                return Ok(Some(c.clone()));
            }
            if !self.more()? {
                return Ok(None);
            }
        }
    }

    /// Every connection.
    pub fn all(&mut self) -> Result<&[Connection], ApiError> {
        while self.more()? {}
        Ok(&self.loaded)
    }
}
