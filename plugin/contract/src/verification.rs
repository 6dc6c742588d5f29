//! Scalekit's user verification, as the operator sets it: whether the environment checks who
//! completed an authorization link ("Custom user verification" in the dashboard), and where the
//! person's browser is sent to finish (the verify URL). The component reads it to create links;
//! the runner reads it to serve the verify route on loopback.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::loopback::is_loopback;

/// The mode: `custom` (the environment's "Custom user verification") or `scalekit` (its
/// "Scalekit users only", the default).
pub const MODE_VAR: &str = "AGENT_AUTH_USER_VERIFICATION";
/// The URL Scalekit sends the person's browser to after they approve (default [`DEFAULT_URL`]):
/// a loopback URL the runner serves itself, or a public one a host mounts (`--verify-user`).
pub const URL_VAR: &str = "AGENT_AUTH_VERIFY_URL";
/// Set by the runner, and only for the calls its own loopback route makes: a link made for that
/// route is finished only there, never by a command line.
pub const ROUTE_VAR: &str = "AGENT_AUTH_VERIFY_ROUTE";
/// Set by the runner while it serves the loopback route for the whole call (a `--wait`, every
/// call of `agent-auth mcp`): the person's browser finishes a link on its own.
pub const SERVED_VAR: &str = "AGENT_AUTH_VERIFY_ROUTE_SERVED";
/// The verify URL when the operator names none: the runner's loopback route.
pub const DEFAULT_URL: &str = "http://127.0.0.1:51853/agent-auth/verify";
/// The longest `state` Scalekit takes.
pub const STATE_MAX: usize = 512;
/// The longest `user_verify_url` Scalekit takes.
pub const URL_MAX: usize = 2048;
/// The longest `auth_request_id` agent-auth passes on (Scalekit's are far shorter).
pub const AUTH_REQUEST_ID_MAX: usize = 1024;

/// Who may activate an account from an authorization link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// "Scalekit users only": people signed in to the Scalekit dashboard; links carry no verify URL.
    ScalekitUsers,
    /// "Custom user verification": links carry this verify URL and a fresh `state`, and the
    /// account stays `PENDING_VERIFICATION` until agent-auth confirms the person.
    Custom(VerifyUrl),
}

/// A checked verify URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyUrl {
    text: String,
    route: Option<LoopbackRoute>,
}

/// Where the runner listens when the verify URL is its own (loopback).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopbackRoute {
    /// The addresses the URL's host names: the one it spells, or both of `localhost`'s (a
    /// browser may try either, so another program must hold neither).
    pub addrs: Vec<IpAddr>,
    /// The port (80 when the URL names none).
    pub port: u16,
    /// The path, e.g. `/agent-auth/verify`.
    pub path: String,
}

impl VerifyUrl {
    /// The URL as sent to Scalekit.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The runner's own route when the URL is on loopback; `None` when a host serves it.
    pub fn loopback(&self) -> Option<&LoopbackRoute> {
        self.route.as_ref()
    }
}

/// What is wrong with the operator's setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingError {
    /// [`MODE_VAR`] is neither `custom` nor `scalekit`.
    Mode,
    /// [`URL_VAR`] is not a verify URL: why.
    Url(&'static str),
}

impl std::fmt::Display for SettingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SettingError::Mode => write!(f, "{MODE_VAR} must be custom or scalekit"),
            SettingError::Url(why) => write!(f, "{URL_VAR} {why}"),
        }
    }
}

impl Verification {
    /// The operator's choice, from [`MODE_VAR`] and [`URL_VAR`] as `get` finds them (blank is
    /// unset).
    pub fn read(get: impl Fn(&str) -> Option<String>) -> Result<Verification, SettingError> {
        let set = |name: &str| get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        match set(MODE_VAR).as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("scalekit") => Ok(Verification::ScalekitUsers),
            Some("custom") => {
                let url = set(URL_VAR).unwrap_or_else(|| DEFAULT_URL.to_owned());
                VerifyUrl::parse(&url).map(Verification::Custom).map_err(SettingError::Url)
            }
            Some(_) => Err(SettingError::Mode),
        }
    }

    /// Its name in `--doctor` and messages: `custom` or `scalekit`.
    pub fn name(&self) -> &'static str {
        match self {
            Verification::ScalekitUsers => "scalekit",
            Verification::Custom(_) => "custom",
        }
    }
}

impl VerifyUrl {
    /// Checks `text` as Scalekit does (`http` or `https`, at most [`URL_MAX`]), and more: plain
    /// `http` only on loopback, no credentials, query or fragment in it.
    pub fn parse(text: &str) -> Result<VerifyUrl, &'static str> {
        if text.len() > URL_MAX {
            return Err("is longer than Scalekit takes (2,048 characters)");
        }
        let (scheme, rest) = text.split_once("://").ok_or("is not a URL")?;
        let (authority, path) = rest.find('/').map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
        if authority.is_empty() || authority.contains(['@', ' ']) || path.contains(['?', '#', ' ']) {
            return Err("must be a scheme, a host and a path, without credentials, query or fragment");
        }
        let (host, port) = match authority.rsplit_once(':').filter(|(h, _)| !h.ends_with(':')) {
            Some((host, port)) if !authority.ends_with(']') => {
                (host, Some(port.parse::<u16>().map_err(|_| "has an invalid port")?))
            }
            _ => (authority, None),
        };
        let route = match scheme.to_ascii_lowercase().as_str() {
            "http" if is_loopback(host) => {
                Some(LoopbackRoute { addrs: addresses(host), port: port.unwrap_or(80), path: path.to_owned() })
            }
            "http" => return Err("uses plain http for a host that is not loopback; only https is allowed there"),
            "https" => None,
            _ => return Err("must start with https:// (or http:// on loopback)"),
        };
        Ok(VerifyUrl { text: text.to_owned(), route })
    }
}

/// The loopback addresses `host` names (one [`is_loopback`] accepts).
fn addresses(host: &str) -> Vec<IpAddr> {
    match host.trim_start_matches('[').trim_end_matches(']').parse() {
        Ok(ip) => vec![ip],
        Err(_) => vec![IpAddr::V4(Ipv4Addr::LOCALHOST), IpAddr::V6(Ipv6Addr::LOCALHOST)],
    }
}

/// Whether `value` can be a callback's `auth_request_id` or `state` (at most `most` bytes, no
/// control characters): anything else is refused before it is read further.
pub fn callback_value(value: &str, most: usize) -> bool {
    !value.trim().is_empty() && value.len() <= most && !value.chars().any(char::is_control)
}

/// Who holds the loopback route's port (`--doctor`, from the runner's facts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RouteHolder {
    /// Nobody: the runner serves it while a call waits.
    Free,
    /// Another agent-auth (an MCP server, a wait), which finishes the links of its state folder.
    AgentAuth,
    /// A program that is not agent-auth: the person's browser would reach it instead.
    Other,
}

/// What `--verify-user` prints when the link is finished (besides `ok` and `warnings`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verified {
    /// The connection the link authorized.
    pub connection_name: String,
    /// The person it was made for.
    pub identifier: String,
    /// `ACTIVE`.
    pub status: String,
    /// `true`.
    pub active: bool,
    /// Where Scalekit says to send the browser next, if anywhere.
    pub redirect_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<Verification, SettingError> {
        Verification::read(|name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn the_mode_and_its_url() {
        assert_eq!(read(&[]), Ok(Verification::ScalekitUsers));
        assert_eq!(read(&[(MODE_VAR, " "), (URL_VAR, "https://x")]), Ok(Verification::ScalekitUsers));
        let Ok(Verification::Custom(url)) = read(&[(MODE_VAR, "CUSTOM")]) else { panic!("custom") };
        assert_eq!(url.as_str(), DEFAULT_URL);
        let v4 = vec![IpAddr::V4(Ipv4Addr::LOCALHOST)];
        assert_eq!(url.loopback(), Some(&LoopbackRoute { addrs: v4, port: 51853, path: "/agent-auth/verify".into() }));
        let Ok(Verification::Custom(url)) = read(&[(MODE_VAR, "custom"), (URL_VAR, "https://gw.example/v")]) else {
            panic!("custom")
        };
        assert_eq!((url.as_str(), url.loopback()), ("https://gw.example/v", None));
        assert!(read(&[(MODE_VAR, "yes")]).unwrap_err().to_string().contains(MODE_VAR));
        let bad = read(&[(MODE_VAR, "custom"), (URL_VAR, "http://gw.example/v")]).unwrap_err();
        assert!(matches!(bad, SettingError::Url(_)) && bad.to_string().starts_with(URL_VAR), "{bad}");
    }

    #[test]
    fn urls_scalekit_or_a_person_would_refuse() {
        for bad in [
            "http://gw.example/v",
            "ftp://127.0.0.1/v",
            "http://127.0.0.1:99999/v",
            "https://user:pw@gw.example/v",
            "https://gw.example/v?x=1",
            "gw.example/v",
        ] {
            assert!(VerifyUrl::parse(bad).is_err(), "{bad}");
        }
        assert!(VerifyUrl::parse(&format!("https://gw.example/{}", "a".repeat(URL_MAX))).is_err());
        let v6 = VerifyUrl::parse("http://[::1]:8080/cb").unwrap();
        let addrs = vec![IpAddr::V6(Ipv6Addr::LOCALHOST)];
        assert_eq!(v6.loopback(), Some(&LoopbackRoute { addrs, port: 8080, path: "/cb".into() }));
        let localhost = VerifyUrl::parse("http://localhost/").unwrap().loopback().cloned().unwrap();
        assert_eq!((localhost.port, localhost.addrs.len()), (80, 2), "both of localhost's addresses");
    }
}
