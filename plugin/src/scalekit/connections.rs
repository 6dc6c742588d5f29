//! App connections: `GET /api/v1/connections/app`, read page by page.

use serde::{Deserialize, Serialize};

use super::pages::{Listing, Pages};
use super::{ApiError, Scalekit};

/// Scalekit's maximum page size for this listing.
pub const MAX_PAGE_SIZE: u32 = agent_auth_contract::option::CONNECTIONS_PAGE_MAX as u32;

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

    /// Whether the connection looks like what `name` means, for suggestions: its name contains
    /// `name`, or `name` contains its provider (`my-notion` and NOTION), in any case.
    pub fn resembles(&self, name: &str) -> bool {
        let (name, key, provider) = (name.to_lowercase(), self.key_id.to_lowercase(), self.provider_key.to_lowercase());
        key.contains(&name) || (!provider.is_empty() && name.contains(&provider))
    }
}

/// `GET /api/v1/connections/app`: one page.
#[derive(Deserialize)]
pub struct Page {
    #[serde(default)]
    connections: Vec<Connection>,
    #[serde(default)]
    next_page_token: String,
}

impl Listing for Page {
    type Item = Connection;
    fn into_parts(self) -> (Vec<Connection>, String) {
        (self.connections, self.next_page_token)
    }
}

/// The listing's pages, `page_size` at a time.
pub fn pages<'s, 'a>(sk: &'s Scalekit<'a>, page_size: u32) -> Pages<'s, 'a, Page> {
    Pages::new(sk, "/api/v1/connections/app", vec![("page_size", page_size.to_string())], "connection listing")
}

/// Reads pages in order until the listing ends or `done` returns true for a connection.
/// Returns every connection read.
pub fn scan(
    sk: &Scalekit,
    page_size: u32,
    mut done: impl FnMut(&Connection) -> bool,
) -> Result<Vec<Connection>, ApiError> {
    let mut pages = pages(sk, page_size);
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

/// Every connection: the listing a recent call remembered, else every page read now (and
/// remembered). The flag says whether it was remembered (and so may be out of date).
pub fn all(sk: &Scalekit) -> Result<(Vec<Connection>, bool), ApiError> {
    if let Some(all) = sk.cache.connections() {
        return Ok((all, true));
    }
    let all = scan(sk, MAX_PAGE_SIZE, |_| false)?;
    sk.cache.remember_connections(&all);
    Ok((all, false))
}
