//! Reading a paged listing: `page_size`, then each `next_page_token` until an empty one, guarding
//! against a server that repeats a token or never ends.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use super::{ApiError, Scalekit};

/// A listing longer than this many pages is treated as a server bug, not followed forever.
const MAX_PAGES: usize = 1000;

/// One page of a listing, as Scalekit sends it.
pub trait Listing: DeserializeOwned {
    /// What the listing lists.
    type Item;
    /// The page's items and the next page's token (empty on the last page).
    fn into_parts(self) -> (Vec<Self::Item>, String);
}

/// A cursor over a listing: each [`Pages::next_page`] reads one more page.
pub struct Pages<'s, 'a, L> {
    sk: &'s Scalekit<'a>,
    path: &'static str,
    /// `page_size` and any filters; `page_token` is added after them.
    query: Vec<(&'static str, String)>,
    /// The listing in messages, e.g. `connection listing`.
    what: &'static str,
    /// The next page's token; `None` once the listing has ended.
    next: Option<String>,
    read: usize,
    listing: PhantomData<L>,
}

impl<'s, 'a, L: Listing> Pages<'s, 'a, L> {
    /// Nothing read yet.
    pub fn new(
        sk: &'s Scalekit<'a>,
        path: &'static str,
        query: Vec<(&'static str, String)>,
        what: &'static str,
    ) -> Self {
        Pages { sk, path, query, what, next: Some(String::new()), read: 0, listing: PhantomData }
    }

    /// The next page's items, or `None` once the listing has ended.
    pub fn next_page(&mut self) -> Result<Option<Vec<L::Item>>, ApiError> {
        let Some(token) = self.next.take() else { return Ok(None) };
        if self.read >= MAX_PAGES {
            return Err(ApiError::Decode(format!("the {} did not end after {MAX_PAGES} pages", self.what)));
        }
        let mut query = self.query.clone();
        if !token.is_empty() {
            query.push(("page_token", token.clone()));
        }
        let (items, next) = self.sk.get::<L>(self.path, &query, self.what)?.into_parts();
        self.read += 1;
        if !next.is_empty() {
            if next == token {
                return Err(ApiError::Decode("Scalekit returned the same page token twice".into()));
            }
            self.next = Some(next);
        }
        Ok(Some(items))
    }

    /// Every item of every page.
    pub fn all(mut self) -> Result<Vec<L::Item>, ApiError> {
        let mut all = Vec::new();
        while let Some(page) = self.next_page()? {
            all.extend(page);
        }
        Ok(all)
    }
}
