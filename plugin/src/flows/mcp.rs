//! MCP configs and per-user instances (the AgentKit flow for Claude Managed Agents and OpenClaw):
//! create a config once, ensure each user's instance, and tell the person which connections
//! still need authorizing.
//!
//! An instance's `url` is pre-authenticated. It goes into the stdout JSON only: never into an
//! error message, a hint, a progress line or the audit trail.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::{errors, wait};
use crate::output::{self, Code, Failure, Success, shell};
use crate::scalekit::mcp::{self, Config, ConnectionState, Instance, Mapping};
use crate::scalekit::{ApiError, ErrorResponse, Scalekit};

/// Longest config name Scalekit accepts.
const MAX_NAME: usize = 100;
/// Most connections in one config.
const MAX_MAPPINGS: usize = 25;

/// `--create-mcp-config --name N [--description D] --tools CONNECTION[:tools]...`.
pub fn create_config(
    sk: &Scalekit,
    name: &str,
    description: Option<&str>,
    tools: &[String],
) -> Result<Success, Failure> {
    check_name(name)?;
    let requested = parse_tools(tools)?;
    let description = description.unwrap_or("");
    match mcp::create_config(sk, name, description, &requested) {
        Ok(config) => Ok(Success::default().with("created", true).with("config", config_view(&config))),
        Err(ApiError::Status(r)) if r.status == 409 || r.is("ALREADY_EXISTS") => {
            existing_config(sk, name, description, &requested)
        }
        Err(ApiError::Status(r)) if r.status == 404 => {
            let mut failure = errors::status(r);
            failure.code = Code::ConnectionNotFound;
            failure.hint =
                "Each --tools CONNECTION must be a connection name (the key_id values of agent-auth --list-connections).".into();
            Err(failure)
        }
        Err(ApiError::Status(r)) if r.status == 400 => {
            let mut failure = errors::status(r);
            failure.hint =
                "Fix what the message names; agent-auth --get-tool --provider PROVIDER lists a provider's tool names."
                    .into();
            Err(failure)
        }
        Err(e) => Err(e.into()),
    }
}

/// `--list-mcp-configs`: every config, from every page.
pub fn list_configs(sk: &Scalekit) -> Result<Success, Failure> {
    let configs = mcp::list_configs(sk, None)?;
    Ok(Success::default().with("configs", configs.iter().map(config_view).collect::<Vec<_>>()))
}

/// `--ensure-mcp-instance --config-name N [--identifier I] [--wait [SECONDS]]`.
pub fn ensure_instance(
    sk: &Scalekit,
    config_name: &str,
    identifier: &str,
    wait: Option<u64>,
) -> Result<Success, Failure> {
    let config_name = config_name.trim();
    let instance = mcp::ensure_instance(sk, config_name, identifier).map_err(|e| match e {
        ApiError::Status(r) if r.status == 404 => config_not_found(config_name, r),
        other => other.into(),
    })?;
    let states = mcp::auth_state(sk, &instance.id, true)?;
    let view = View {
        instance_id: instance.id.clone(),
        config_name: Some(config_name.to_owned()),
        identifier: identifier.to_owned(),
        instance,
        states,
    };
    report(sk, view, wait, true)
}

/// `--mcp-auth-state --instance-id ID`: the same per-connection view for an existing instance.
pub fn auth_state(sk: &Scalekit, instance_id: &str) -> Result<Success, Failure> {
    let id = instance_id.trim();
    let not_found = |e: ApiError| match e {
        ApiError::Status(r) if r.status == 404 => instance_not_found(id, r),
        other => other.into(),
    };
    let instance = mcp::get_instance(sk, id).map_err(not_found)?;
    let states = mcp::auth_state(sk, id, true).map_err(not_found)?;
    let config_name = instance.config.as_ref().map(|c| c.name.clone()).filter(|n| !n.is_empty());
    let view = View {
        instance_id: id.to_owned(),
        config_name,
        identifier: instance.user_identifier.clone(),
        instance,
        states,
    };
    report(sk, view, None, false)
}

// ---------------------------------------------------------------------------------------------
// Creating configs

/// Scalekit's name rule: 1-100 characters of `a-z`, `0-9`, `-` and `_`.
fn check_name(name: &str) -> Result<(), Failure> {
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
fn parse_tools(values: &[String]) -> Result<Vec<Mapping>, Failure> {
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
    let found = mcp::list_configs(sk, Some(name))?.into_iter().find(|c| c.name == name);
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

// ---------------------------------------------------------------------------------------------
// Instances and their authorization state

fn config_not_found(name: &str, r: ErrorResponse) -> Failure {
    let mut failure = errors::status(r);
    failure.code = Code::McpConfigNotFound;
    failure.message = format!("no MCP config named {name}");
    failure.hint = format!(
        "Check the name with agent-auth --list-mcp-configs, or create it: agent-auth --create-mcp-config --name {} --tools CONNECTION[:tool1,tool2].",
        shell::word(name)
    );
    failure.with("config_name", name)
}

fn instance_not_found(id: &str, r: ErrorResponse) -> Failure {
    let mut failure = errors::status(r);
    failure.code = Code::McpInstanceNotFound;
    failure.message = format!("no MCP instance with id {id}");
    failure.hint = "Instance ids come from agent-auth --ensure-mcp-instance --config-name NAME --identifier USER, which finds or creates the user's instance.".into();
    failure.with("instance_id", id)
}

/// An instance with the state of each of its connections.
struct View {
    instance_id: String,
    config_name: Option<String>,
    identifier: String,
    instance: Instance,
    states: Vec<ConnectionState>,
}

impl View {
    fn ready(&self) -> bool {
        self.states.iter().all(ConnectionState::is_active)
    }

    fn pending(&self) -> Vec<&ConnectionState> {
        self.states.iter().filter(|s| !s.is_active()).collect()
    }

    /// The output fields; `links` holds the authorization link of each connection that has one.
    fn fields(&self, links: &BTreeMap<String, String>) -> Map<String, Value> {
        let connections: Vec<Value> = self
            .states
            .iter()
            .map(|s| {
                let mut c = Map::new();
                c.insert("connection_name".into(), s.connection_name.clone().into());
                c.insert("provider".into(), s.provider.clone().into());
                c.insert("connected_account_id".into(), nonempty(&s.connected_account_id));
                c.insert("status".into(), status(s).into());
                if let Some(link) = links.get(&s.connection_name).filter(|_| !s.is_active()) {
                    c.insert("link".into(), link.clone().into());
                }
                Value::Object(c)
            })
            .collect();
        let mut m = Map::new();
        m.insert("instance_id".into(), self.instance_id.clone().into());
        m.insert("config_name".into(), self.config_name.clone().map_or(Value::Null, Value::from));
        m.insert("identifier".into(), self.identifier.clone().into());
        // Pre-authenticated: stdout only.
        m.insert("url".into(), self.instance.url.clone().into());
        m.insert("ready".into(), self.ready().into());
        m.insert("connections".into(), Value::Array(connections));
        m
    }

    /// "MCP config X" or "MCP instance ID", for messages.
    fn subject(&self) -> String {
        match &self.config_name {
            Some(name) => format!("MCP config {name}"),
            None => format!("MCP instance {}", self.instance_id),
        }
    }
}

fn nonempty(s: &str) -> Value {
    if s.is_empty() { Value::Null } else { s.into() }
}

/// The account status, `NOT_FOUND` when the user has no account on the connection yet.
fn status(s: &ConnectionState) -> &str {
    if s.connected_account_status.is_empty() { "NOT_FOUND" } else { &s.connected_account_status }
}

fn pending_list(pending: &[&ConnectionState]) -> String {
    pending.iter().map(|s| format!("{} ({})", s.connection_name, status(s))).collect::<Vec<_>>().join(", ")
}

/// The links Scalekit returned, by connection, for the connections that are not active.
fn links_of(states: &[ConnectionState]) -> BTreeMap<String, String> {
    states
        .iter()
        .filter(|s| !s.is_active() && !s.authentication_link.is_empty())
        .map(|s| (s.connection_name.clone(), s.authentication_link.clone()))
        .collect()
}

/// Success when every connection is active; otherwise `AUTHORIZATION_REQUIRED` with every link,
/// after waiting for the person when `wait` is given.
fn report(sk: &Scalekit, mut view: View, wait: Option<u64>, can_wait: bool) -> Result<Success, Failure> {
    if view.ready() {
        return Ok(Success { fields: view.fields(&BTreeMap::new()), warnings: Vec::new() });
    }
    let mut links = links_of(&view.states);
    let Some(seconds) = wait else {
        let hint = if can_wait {
            "Show the person each link verbatim; once they have authorized, run the same command again (or add --wait to wait for them)."
        } else {
            "Show the person each link verbatim; once they have authorized, run the same command again."
        };
        return Err(not_ready(&view, &links, String::new(), hint));
    };
    // The person needs the links now, not when the wait is over.
    let pending = view.pending();
    output::progress(&format!(
        "waiting up to {seconds} s for {} to be authorized for {}: {}",
        plural(pending.len(), "connection"),
        view.identifier,
        pending_list(&pending)
    ));
    for s in &pending {
        match links.get(&s.connection_name) {
            Some(link) => output::progress(&format!("open for {}: {link}", s.connection_name)),
            None => output::progress(&format!(
                "{}: create or activate the account in the Scalekit dashboard",
                s.connection_name
            )),
        }
    }
    let ready = wait::until(seconds, |waited| {
        // Without links: polling must not mint a new link every few seconds.
        let current = mcp::auth_state(sk, &view.instance_id, false)?;
        for s in current.iter().filter(|s| s.is_active()) {
            if view.states.iter().any(|old| old.connection_name == s.connection_name && !old.is_active()) {
                output::progress(&format!("{} is connected for {}", s.connection_name, view.identifier));
            }
        }
        for s in current.iter().filter(|s| !s.is_active() && !s.authentication_link.is_empty()) {
            links.insert(s.connection_name.clone(), s.authentication_link.clone());
        }
        view.states = current;
        if view.ready() {
            return Ok(Some(()));
        }
        output::progress(&format!("still waiting for {} after {waited} s", pending_list(&view.pending())));
        Ok(None)
    })?;
    if ready.is_some() {
        output::progress(&format!("every connection of the {} is authorized for {}", view.subject(), view.identifier));
        return Ok(Success { fields: view.fields(&BTreeMap::new()), warnings: Vec::new() });
    }
    Err(not_ready(
        &view,
        &links,
        format!(" after waiting {seconds} s"),
        "The links still work until they expire: show them to the person again, or run with a longer --wait.",
    ))
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

/// `AUTHORIZATION_REQUIRED` listing every connection that is not active, with its link. The
/// instance URL is in the fields (stdout) only, never in the message or on stderr.
fn not_ready(view: &View, links: &BTreeMap<String, String>, waited: String, hint: &str) -> Failure {
    let pending = view.pending();
    let verb = if pending.len() == 1 { "is" } else { "are" };
    let message = format!(
        "{} of {} of the {} {verb} not authorized for {}{waited}: {}",
        pending.len(),
        plural(view.states.len(), "connection"),
        view.subject(),
        view.identifier,
        pending_list(&pending)
    );
    let with_link: Vec<Value> = pending
        .iter()
        .filter_map(|s| {
            links
                .get(&s.connection_name)
                .map(|link| json!({"connection_name": s.connection_name, "provider": s.provider, "link": link}))
        })
        .collect();
    let without_link: Vec<&str> = pending
        .iter()
        .filter(|s| !links.contains_key(&s.connection_name))
        .map(|s| s.connection_name.as_str())
        .collect();
    let linked_names: Vec<&str> =
        pending.iter().filter(|s| links.contains_key(&s.connection_name)).map(|s| s.connection_name.as_str()).collect();
    let mut sentences = Vec::new();
    match linked_names.len() {
        0 => {}
        1 => sentences.push(format!(
            "Open this link to connect {} for {}, then tell me when it is done.",
            linked_names[0], view.identifier
        )),
        _ => sentences.push(format!(
            "Open each of these {} links to connect {} for {}, then tell me when it is done.",
            linked_names.len(),
            linked_names.join(", "),
            view.identifier
        )),
    }
    if !without_link.is_empty() {
        sentences.push(format!(
            "In the Scalekit dashboard (Agent Auth > Connected accounts), create or activate the account of {} on {}.",
            view.identifier,
            without_link.join(", ")
        ));
    }
    let mut action = Map::new();
    action.insert("kind".into(), (if with_link.is_empty() { "dashboard_account_setup" } else { "authorize" }).into());
    action.insert("message".into(), sentences.join(" ").into());
    if let Some(first) = with_link.first().and_then(|l| l.get("link")) {
        action.insert("link".into(), first.clone());
    }
    action.insert("links".into(), Value::Array(with_link.clone()));
    // `emit_failure` prints a single link; every link goes to stderr here (never the URL).
    eprintln!("action required: {}", sentences.join(" "));
    for l in &with_link {
        eprintln!(
            "  {}: {}",
            l["connection_name"].as_str().unwrap_or_default(),
            l["link"].as_str().unwrap_or_default()
        );
    }
    Failure::new(Code::AuthorizationRequired, message, hint)
        .with_fields(view.fields(links))
        .with("action_required", Value::Object(action))
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
