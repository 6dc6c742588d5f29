//! The environment's connections, read page by page only as far as a question needs, and read
//! once per invocation however many services ask.

use crate::scalekit::connections::{self, Connection, MAX_PAGE_SIZE, Page};
use crate::scalekit::pages::Pages;
use crate::scalekit::{ApiError, Scalekit};

/// `GET /api/v1/connections/app`, cached across the services of one `--get-token`.
pub struct Catalogue<'s, 'a> {
    pages: Pages<'s, 'a, Page>,
    loaded: Vec<Connection>,
}

impl<'s, 'a> Catalogue<'s, 'a> {
    /// Nothing read yet.
    pub fn new(sk: &'s Scalekit<'a>) -> Self {
        Catalogue { pages: connections::pages(sk, MAX_PAGE_SIZE), loaded: Vec::new() }
    }

    /// Reads one more page; false when the listing had already ended.
    fn more(&mut self) -> Result<bool, ApiError> {
        match self.pages.next_page()? {
            Some(page) => {
                self.loaded.extend(page);
                Ok(true)
            }
            None => Ok(false),
        }
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
