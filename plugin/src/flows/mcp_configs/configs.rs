//! Creating MCP configs: check the name and the `--tools` mappings before anything is sent, and
//! treat a config that already exists with the same mappings as success.

use std::collections::{BTreeMap, BTreeSet};

use agent_auth_contract::shell;
use serde_json::{Map, Value, json};

use crate::flows::errors;
use crate::output::{self, Code, Failure, Success};
use crate::scalekit::mcp_configs::{self, Config, Mapping};
use crate::scalekit::{ApiError, Scalekit};

/// Longest config name Scalekit accepts.
const MAX_NAME: usize = 100;
/// Most connections in one config.
const MAX_MAPPINGS: usize = 25;

/// Creates the config (its name and mappings checked by [`check_name`] and [`parse_tools`]), or
/// accepts an existing one with the same connections and tools.
pub fn create(sk: &Scalekit, name: &str, description: Option<&str>, requested: &[Mapping]) -> Result<Success, Failure> {
    let description = description.unwrap_or("");
    match mcp_configs::create_config(sk, name, description, requested) {
        Ok(config) => Ok(Success::default().with("created", true).with("config", config_view(&config))),
        Err(ApiError::Status(r)) if r.status == 409 || r.is("ALREADY_EXISTS") => {
            existing_config(sk, name, description, requested)
        }
        Err(ApiError::Status(r)) if r.status == 404 => {
            let mut failure = errors::status(*r);
            failure.code = Code::ConnectionNotFound;
            failure.hint =
                "Each --tools CONNECTION must be a connection name (the key_id values of agent-auth --list-connections).".into();
            Err(failure)
        }
        Err(ApiError::Status(r)) if r.status == 400 => {
            let mut failure = errors::status(*r);
            failure.hint =
                "Fix what the message names; agent-auth --get-tool --provider PROVIDER lists a provider's tool names."
                    .into();
            Err(failure)
        }
        Err(e) => Err(e.into()),
    }
}

/// Every config, from every page.
pub fn list(sk: &Scalekit) -> Result<Success, Failure> {
    let configs = mcp_configs::list_configs(sk, None)?;
    Ok(Success::default().with("configs", configs.iter().map(config_view).collect::<Vec<_>>()))
}

/// Scalekit's name rule: 1-100 characters of `a-z`, `0-9`, `-` and `_`.
pub fn check_name(name: &str) -> Result<(), Failure> {
    let valid_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
    if !name.is_empty() && name.chars().count() <= MAX_NAME && name.chars().all(valid_char) {
        return Ok(());
    }
    let suggestion: String = name
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if valid_char(c) { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-")
        .chars()
        .take(MAX_NAME)
        .collect();
    let hint = if suggestion.is_empty() {
        "Use 1 to 100 lower-case letters, digits, - and _ for --name, e.g. --name daily-summarizer.".to_owned()
    } else {
        format!("Use 1 to 100 lower-case letters, digits, - and _ for --name, e.g. --name {suggestion}.")
    };
    Err(Failure::new(Code::Usage, format!("--name {} is not a valid MCP config name", shell::word(name)), hint))
}

/// Whether `s` is a plausible connection or tool name (no spaces, separators or quotes).
fn plain_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn tools_usage(message: String) -> Failure {
    Failure::new(
        Code::Usage,
        message,
        "Pass --tools CONNECTION (every tool) or --tools CONNECTION:tool1,tool2 (no spaces), once per connection.",
    )
}

/// Parses every `--tools CONNECTION[:tool1,tool2,...]` value; nothing is sent when one is wrong.
pub fn parse_tools(values: &[String]) -> Result<Vec<Mapping>, Failure> {
    let mut mappings: Vec<Mapping> = Vec::new();
    for raw in values {
        let shown = shell::word(raw);
        let value = raw.trim();
        let (connection, list) = match value.split_once(':') {
            Some((c, l)) => (c.trim(), Some(l)),
            None => (value, None),
        };
        if connection.is_empty() {
            return Err(tools_usage(format!("--tools {shown} names no connection")));
        }
        if connection.contains(',') {
            return Err(Failure::new(
                Code::Usage,
                format!("--tools {shown} names several connections"),
                "Repeat --tools once per connection, e.g. --tools gmail --tools slack:slack_send_message.",
            ));
        }
        if !plain_name(connection) {
            return Err(tools_usage(format!("--tools {shown}: {} is not a connection name", shell::word(connection))));
        }
        let mut tools: Vec<String> = Vec::new();
        if let Some(list) = list {
            if list.trim().is_empty() {
                return Err(Failure::new(
                    Code::Usage,
                    format!("--tools {shown} has an empty tool list"),
                    format!(
                        "Leave out the colon to expose every tool of {connection} (--tools {connection}), or list tools after it."
                    ),
                ));
            }
            for tool in list.split(',').map(str::trim) {
                if tool.is_empty() {
                    return Err(tools_usage(format!("--tools {shown} has an empty tool name (check the commas)")));
                }
                if !plain_name(tool) {
                    return Err(tools_usage(format!("--tools {shown}: {} is not a tool name", shell::word(tool))));
                }
                if !tools.iter().any(|t| t == tool) {
                    tools.push(tool.to_owned());
                }
            }
        }
        if mappings.iter().any(|m| m.connection_name == connection) {
            return Err(Failure::new(
                Code::Usage,
                format!("--tools names the connection {connection} more than once"),
                format!(
                    "Give each connection once, with all its tools: --tools {connection}:tool1,tool2 (or --tools {connection} for every tool)."
                ),
            ));
        }
        mappings.push(Mapping { connection_name: connection.to_owned(), tools, ..Default::default() });
    }
    if mappings.len() > MAX_MAPPINGS {
        return Err(Failure::new(
            Code::Usage,
            format!("an MCP config holds at most {MAX_MAPPINGS} connections ({} given)", mappings.len()),
            "Split the connections over several configs (several --create-mcp-config calls).",
        ));
    }
    Ok(mappings)
}

/// The name is taken: the same connections and tools are a success (`created: false`), anything
/// else a conflict that shows both mappings.
fn existing_config(sk: &Scalekit, name: &str, description: &str, requested: &[Mapping]) -> Result<Success, Failure> {
    let found = mcp_configs::list_configs(sk, Some(name))?.into_iter().find(|c| c.name == name);
    let Some(found) = found else {
        return Err(Failure::new(
            Code::McpConfigConflict,
            format!("Scalekit says an MCP config named {name} already exists, but does not list it"),
            format!("Pick another --name, or look for {name} in the Scalekit dashboard (Agent Auth > MCP)."),
        )
        .with("name", name)
        .with("requested", json!({"connections": requested.iter().map(mapping_view).collect::<Vec<_>>()})));
    };
    let differences = differences(&found.connection_tool_mappings, requested);
    if differences.is_empty() {
        let note = format!(
            "an MCP config named {name} already exists with the same connections and tools; it was left as it is"
        );
        output::progress(&note);
        let mut success =
            Success::default().with("created", false).with("note", &note).with("config", config_view(&found));
        if !description.is_empty() && description != found.description {
            success.warnings.push(format!(
                "the existing config {name} has another description; it was kept (Scalekit does not change it here)"
            ));
        }
        return Ok(success);
    }
    let base: String = name.chars().take(MAX_NAME - 3).collect();
    Err(Failure::new(
        Code::McpConfigConflict,
        format!("an MCP config named {name} already exists with other connections or tools: {}", differences.join("; ")),
        format!(
            "Pick another --name (e.g. {base}-v2) for this mapping, or use the existing config as it is: agent-auth --ensure-mcp-instance --config-name {name}."
        ),
    )
    .with("name", name)
    .with("existing_config", config_view(&found))
    .with("requested", json!({"connections": requested.iter().map(mapping_view).collect::<Vec<_>>()}))
    .with("differences", &differences))
}

/// Connection → its tools (`None` = every tool), order-insensitive.
fn normalized(mappings: &[Mapping]) -> BTreeMap<&str, Option<BTreeSet<&str>>> {
    mappings
        .iter()
        .map(|m| {
            let tools = (!m.tools.is_empty()).then(|| m.tools.iter().map(String::as_str).collect());
            (m.connection_name.as_str(), tools)
        })
        .collect()
}

fn describe(tools: &Option<BTreeSet<&str>>) -> String {
    match tools {
        None => "every tool".into(),
        Some(t) => format!("tools {}", t.iter().copied().collect::<Vec<_>>().join(", ")),
    }
}

/// One line per connection whose tools differ between the existing and the requested mapping.
fn differences(existing: &[Mapping], requested: &[Mapping]) -> Vec<String> {
    let (old, new) = (normalized(existing), normalized(requested));
    let names: BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
    names
        .into_iter()
        .filter_map(|c| match (old.get(c), new.get(c)) {
            (Some(o), Some(n)) if o == n => None,
            (Some(o), Some(n)) => Some(format!("{c}: existing {}, requested {}", describe(o), describe(n))),
            (Some(o), None) => Some(format!("{c}: in the existing config ({}), not requested", describe(o))),
            (None, Some(n)) => Some(format!("{c}: requested ({}), not in the existing config", describe(n))),
            (None, None) => None,
        })
        .collect()
}

fn mapping_view(m: &Mapping) -> Value {
    let mut v = Map::new();
    v.insert("connection_name".into(), m.connection_name.clone().into());
    if !m.connection_id.is_empty() {
        v.insert("connection_id".into(), m.connection_id.clone().into());
    }
    if !m.provider.is_empty() {
        v.insert("provider".into(), m.provider.clone().into());
    }
    v.insert("tools".into(), json!(m.tools));
    v.insert("all_tools".into(), m.tools.is_empty().into());
    Value::Object(v)
}

/// A config as agent-auth prints it.
fn config_view(c: &Config) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "description": c.description,
        "connections": c.connection_tool_mappings.iter().map(mapping_view).collect::<Vec<_>>(),
        "mcp_server_url": c.mcp_server_url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tools(values: &[&str]) -> Result<Vec<Mapping>, Failure> {
        parse_tools(&values.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn tools_syntax() {
        let m = tools(&["gmail", "slack:slack_send_message, slack_list_channels,slack_send_message"]).unwrap();
        assert_eq!(m[0].connection_name, "gmail");
        assert!(m[0].tools.is_empty());
        assert_eq!(m[1].tools, ["slack_send_message", "slack_list_channels"]);
        for bad in [":a", "gmail:", "gmail:a,,b", "gmail,slack", "gm ail", "gmail:a b"] {
            assert_eq!(tools(&[bad]).unwrap_err().code, Code::Usage, "{bad}");
        }
        assert_eq!(tools(&["gmail", "gmail:a"]).unwrap_err().code, Code::Usage);
    }

    #[test]
    fn names() {
        assert!(check_name("daily-summarizer_2").is_ok());
        let e = check_name("Daily Summarizer").unwrap_err();
        assert!(e.hint.contains("--name daily-summarizer."), "{}", e.hint);
        assert!(check_name(&"a".repeat(101)).is_err());
    }

    #[test]
    fn mappings_compare_as_sets() {
        let m = |c: &str, t: &[&str]| Mapping {
            connection_name: c.into(),
            tools: t.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        assert!(differences(&[m("a", &["x", "y"]), m("b", &[])], &[m("b", &[]), m("a", &["y", "x"])]).is_empty());
        let d = differences(&[m("a", &["x"])], &[m("a", &[]), m("c", &[])]);
        assert_eq!(
            d,
            ["a: existing tools x, requested every tool", "c: requested (every tool), not in the existing config"]
        );
    }
}
