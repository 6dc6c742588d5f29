//! `connections.json` in agent-auth's config folder: short service names mapped to a Scalekit
//! connection and, optionally, an identifier. The shape is the `scalekit-auth` skill's
//! (`{"gmail": {"connection_name": "gmail_u3134a", "identifier": "agent"}}`), so a file written by
//! that skill works here and the other way round. Entries and fields agent-auth does not know are
//! kept as they are when the file is rewritten.

use std::io::Write;
use std::path::{Path, PathBuf};

use agent_auth_contract::storage::{CONFIG_DIR_VAR, CONNECTIONS_FILE, CONNECTIONS_LOCK_FILE};
use serde_json::{Map, Value, json};

use crate::files::AtomicFile;
use crate::lock::Lock;
use crate::output::{Code, Failure};

/// One service mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    /// The short name passed to `--get-token`.
    pub service: String,
    /// The Scalekit connection (`key_id`).
    pub connection_name: String,
    /// The user to act for; `None`: `--identifier` / `TOOL_IDENTIFIER` at `--get-token` time.
    pub identifier: Option<String>,
}

impl Mapping {
    /// `{"service", "connection_name", "identifier"}` as listed by `--list-services`.
    pub fn to_json(&self) -> Value {
        json!({"service": self.service, "connection_name": self.connection_name, "identifier": self.identifier})
    }
}

/// The mappings of one `connections.json`.
#[derive(Debug, Clone)]
pub struct Store {
    path: PathBuf,
    entries: Map<String, Value>,
}

impl Store {
    /// No mappings (used when the host gave no config folder).
    pub fn empty() -> Store {
        Store { path: PathBuf::from(CONNECTIONS_FILE), entries: Map::new() }
    }

    /// Reads `connections.json` from `dir`; a missing file holds no mappings.
    pub fn load(dir: &Path) -> Result<Store, Failure> {
        let path = dir.join(CONNECTIONS_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(invalid(&path, &format!("it cannot be read ({e})"))),
        };
        let entries = parse(&text).map_err(|why| invalid(&path, &why))?;
        Ok(Store { path, entries })
    }

    /// Reads `connections.json` from `dir` to change it: until the lock returned is dropped
    /// (after [`Store::save`]), parallel calls wait, so none loses another's mapping.
    pub fn load_to_change(dir: &Path) -> Result<(Store, Option<Lock>), Failure> {
        let lock = Lock::brief(&dir.join(CONNECTIONS_LOCK_FILE));
        Ok((Store::load(dir)?, lock))
    }

    /// Where the file is (or will be).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every mapping, in the file's order.
    pub fn mappings(&self) -> Vec<Mapping> {
        self.entries.iter().map(|(service, entry)| mapping(service, entry)).collect()
    }

    /// The mapping of `service`: the exact name, else the only one that differs just in case.
    pub fn get(&self, service: &str) -> Option<Mapping> {
        if let Some(entry) = self.entries.get(service) {
            return Some(mapping(service, entry));
        }
        let mut folded = self.entries.iter().filter(|(k, _)| k.eq_ignore_ascii_case(service));
        match (folded.next(), folded.next()) {
            (Some((k, entry)), None) => Some(mapping(k, entry)),
            _ => None,
        }
    }

    /// Other services whose names differ from `service` only in case.
    pub fn case_variants(&self, service: &str) -> Vec<String> {
        self.entries.keys().filter(|k| k.as_str() != service && k.eq_ignore_ascii_case(service)).cloned().collect()
    }

    /// Records `m`, replacing the mapping of the same service name (which keeps its place in the
    /// file); returns the mapping it replaced.
    pub fn set(&mut self, m: &Mapping) -> Option<Mapping> {
        let previous = self.entries.get(&m.service).map(|entry| mapping(&m.service, entry));
        let mut entry = Map::new();
        entry.insert("connection_name".into(), m.connection_name.clone().into());
        if let Some(identifier) = &m.identifier {
            entry.insert("identifier".into(), identifier.clone().into());
        }
        self.entries.insert(m.service.clone(), Value::Object(entry));
        previous
    }

    /// Writes the file atomically (a temporary file beside it, then a rename), as pretty JSON.
    pub fn save(&self) -> Result<(), Failure> {
        let shown = self.path.to_string_lossy().into_owned();
        let cannot = |why: String| {
            Failure::new(
                Code::ConfigInvalid,
                format!("cannot write {shown}: {why}"),
                format!("Check that agent-auth's config folder ({CONFIG_DIR_VAR}) exists and is writable by you."),
            )
            .with("path", &shown)
        };
        let mut text =
            serde_json::to_string_pretty(&Value::Object(self.entries.clone())).map_err(|e| cannot(e.to_string()))?;
        text.push('\n');
        // AtomicFile words its failures for --output-file; keep only the reason.
        let prefix = format!("cannot write --output-file {shown}: ");
        let reason =
            |f: Failure| f.message.strip_prefix(prefix.as_str()).map_or_else(|| f.message.clone(), str::to_owned);
        let mut file = AtomicFile::create(&shown).map_err(|f| cannot(reason(f)))?;
        file.write_all(text.as_bytes()).map_err(|e| cannot(e.to_string()))?;
        file.commit().map_err(|f| cannot(reason(f)))?;
        Ok(())
    }
}

fn mapping(service: &str, entry: &Value) -> Mapping {
    let text =
        |key: &str| entry.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    Mapping {
        service: service.to_owned(),
        connection_name: text("connection_name").unwrap_or_default(),
        identifier: text("identifier"),
    }
}

/// Parses and checks the file's text: an object whose values each name a connection.
pub fn parse(text: &str) -> Result<Map<String, Value>, String> {
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    let value: Value = serde_json::from_str(text).map_err(|e| format!("it is not JSON ({e})"))?;
    let Value::Object(entries) = value else {
        return Err("it is not a JSON object of services".into());
    };
    for (service, entry) in &entries {
        let Some(fields) = entry.as_object() else {
            return Err(format!("the entry {service:?} is not an object"));
        };
        if fields.get("connection_name").and_then(Value::as_str).is_none_or(|s| s.trim().is_empty()) {
            return Err(format!("the entry {service:?} has no connection_name"));
        }
        if !fields.get("identifier").is_none_or(|v| v.is_null() || v.is_string()) {
            return Err(format!("the identifier of {service:?} is not a string"));
        }
    }
    Ok(entries)
}

/// `CONFIG_INVALID` for an unusable `connections.json`, naming the file.
fn invalid(path: &Path, why: &str) -> Failure {
    let shown = path.to_string_lossy();
    Failure::new(
        Code::ConfigInvalid,
        format!("the service mappings in {shown} are unusable: {why}"),
        format!(
            "Fix {shown} by hand (shape: {{\"gmail\": {{\"connection_name\": \"gmail_u3134a\", \"identifier\": \"alice\"}}}}), or move it away and map each service again with agent-auth --configure SERVICE --connection-name NAME."
        ),
    )
    .with("path", shown)
}

/// Checks a service name: 1 to 64 letters, digits, `-`, `_` or `.`, starting with a letter or digit.
pub fn check_service_name(service: &str) -> Result<(), Failure> {
    let ok = service.len() <= 64
        && service.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && service.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        return Ok(());
    }
    Err(Failure::new(
        Code::Usage,
        format!(
            "{service:?} is not a service name: use 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit"
        ),
        "Pick a short name such as gmail, notion-work or github.",
    ))
}

/// Checks a connection name the way Scalekit validates `connector` (`^[a-zA-Z0-9_: -]*$`, at most
/// 400 characters), so a typo is caught now rather than at `--get-token` time.
pub fn check_connection_name(name: &str) -> Result<(), Failure> {
    let ok = !name.trim().is_empty()
        && name.len() <= 400
        && name.trim() == name
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "_: -".contains(c));
    if ok {
        return Ok(());
    }
    Err(Failure::new(
        Code::Usage,
        format!(
            "{name:?} is not a connection name: Scalekit connection names use letters, digits, '_', ':', '-' and spaces"
        ),
        "Pass the key_id of a connection, as listed by agent-auth --list-connections.",
    ))
}

/// Checks an identifier given to `--configure` and returns it trimmed.
pub fn check_identifier(identifier: &str) -> Result<String, Failure> {
    let trimmed = identifier.trim();
    if trimmed.is_empty() {
        return Err(Failure::new(
            Code::Usage,
            "--identifier is empty",
            "Pass --identifier USER_ID, or leave it out to use TOOL_IDENTIFIER when the token is requested.",
        ));
    }
    if trimmed.chars().count() > 100 || trimmed.chars().any(char::is_control) {
        return Err(Failure::new(
            Code::Usage,
            "--identifier must be at most 100 characters, without control characters",
            "Pass the user's identifier as Scalekit knows it, e.g. an email address or a user id.",
        ));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_skill_shape_and_keeps_order() {
        let entries = parse(r#"{"notion": {"connection_name": "notion-ijIQedmJ"}, "gmail": {"connection_name": "gmail_u3134a", "identifier": "agent", "note": "x"}}"#).unwrap();
        let store = Store { path: PathBuf::from("c.json"), entries };
        let all = store.mappings();
        assert_eq!(
            all[0],
            Mapping { service: "notion".into(), connection_name: "notion-ijIQedmJ".into(), identifier: None }
        );
        assert_eq!(all[1].identifier.as_deref(), Some("agent"));
        assert_eq!(store.get("GMAIL").unwrap().service, "gmail");
        assert!(store.get("slack").is_none());
    }

    #[test]
    fn rejects_corrupt_files() {
        assert!(parse("{not json").unwrap_err().starts_with("it is not JSON"));
        assert_eq!(parse("[]").unwrap_err(), "it is not a JSON object of services");
        assert_eq!(parse(r#"{"gmail": "gmail_u3134a"}"#).unwrap_err(), "the entry \"gmail\" is not an object");
        assert_eq!(
            parse(r#"{"gmail": {"identifier": "a"}}"#).unwrap_err(),
            "the entry \"gmail\" has no connection_name"
        );
        assert_eq!(
            parse(r#"{"gmail": {"connection_name": "g", "identifier": 7}}"#).unwrap_err(),
            "the identifier of \"gmail\" is not a string"
        );
        assert!(parse("  \n").unwrap().is_empty());
    }

    #[test]
    fn set_replaces_in_place_and_keeps_other_entries() {
        let entries =
            parse(r#"{"a": {"connection_name": "x", "identifier": "u"}, "b": {"connection_name": "y", "extra": 1}}"#)
                .unwrap();
        let mut store = Store { path: PathBuf::from("c.json"), entries };
        let previous = store.set(&Mapping { service: "a".into(), connection_name: "z".into(), identifier: None });
        assert_eq!(previous.unwrap().connection_name, "x");
        assert_eq!(
            Value::Object(store.entries.clone()),
            json!({"a": {"connection_name": "z"}, "b": {"connection_name": "y", "extra": 1}})
        );
        assert_eq!(store.entries.keys().collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn checks_names() {
        assert!(check_service_name("gmail").is_ok());
        assert!(check_service_name("notion-work_2.b").is_ok());
        assert!(check_service_name("").is_err());
        assert!(check_service_name("-x").is_err());
        assert!(check_service_name("my service").is_err());
        assert!(check_service_name(&"a".repeat(65)).is_err());
        assert!(check_connection_name("notion-ijIQedmJ").is_ok());
        assert!(check_connection_name("team:gmail 2").is_ok());
        assert!(check_connection_name("https://x").is_err());
        assert!(check_connection_name(" gmail").is_err());
        assert_eq!(check_identifier(" alice@example.com ").unwrap(), "alice@example.com");
        assert!(check_identifier("  ").is_err());
    }
}
