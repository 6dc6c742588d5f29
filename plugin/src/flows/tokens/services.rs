//! The service mappings of `connections.json`: `--configure` records one, `--list-services` shows
//! them all.

use serde_json::{Value, json};

use super::store::{self, Mapping, Store};
use crate::output::{Failure, Success};
use crate::storage::Storage;

/// Maps `service` to `connection_name` (and `identifier`), replacing its earlier mapping.
pub fn configure(
    storage: &Storage,
    service: &str,
    connection_name: &str,
    identifier: Option<&str>,
) -> Result<Success, Failure> {
    store::check_service_name(service)?;
    store::check_connection_name(connection_name)?;
    let identifier = identifier.map(store::check_identifier).transpose()?;
    let (mut store, lock) = Store::load_to_change(storage.config_dir()?)?;
    let mapping = Mapping { service: service.to_owned(), connection_name: connection_name.to_owned(), identifier };
    let previous = store.set(&mapping);
    store.save()?;
    drop(lock);
    let mut success = Success::default()
        .with("service", service)
        .with("connection_name", connection_name)
        .with("identifier", &mapping.identifier)
        .with("path", store.path().to_string_lossy())
        .with(
            "previous",
            previous.as_ref().map(|p| json!({"connection_name": p.connection_name, "identifier": p.identifier})),
        );
    if let Some(p) = previous.filter(|p| p != &mapping) {
        success.warnings.push(format!(
            "{service} was mapped to {}; it now maps to {}",
            describe(&p),
            describe(&mapping)
        ));
    }
    for other in store.case_variants(service) {
        success.warnings.push(format!("a service named {other} is also configured; service names are case-sensitive, and --get-token {service} uses this mapping"));
    }
    Ok(success)
}

fn describe(m: &Mapping) -> String {
    match &m.identifier {
        Some(identifier) => format!("connection {} for {identifier}", m.connection_name),
        None => {
            format!("connection {} for the --identifier / TOOL_IDENTIFIER given with --get-token", m.connection_name)
        }
    }
}

/// Every mapping, in the file's order.
pub fn list(storage: &Storage) -> Result<Success, Failure> {
    let store = Store::load(storage.config_dir()?)?;
    let services: Vec<Value> = store.mappings().iter().map(Mapping::to_json).collect();
    Ok(Success::default().with("services", services).with("path", store.path().to_string_lossy()))
}
