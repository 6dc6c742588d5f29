//! A user's MCP instance and the authorization state of each of its connections: ready, or the
//! links a person must open (waiting for them with `--wait`).

use std::collections::BTreeMap;

use agent_auth_contract::shell;
use serde_json::{Map, Value, json};

use crate::flows::account::new_link;
use crate::flows::{errors, wait};
use crate::output::{self, ActionRequired, Code, Failure, Success};
use crate::scalekit::accounts::PENDING_VERIFICATION;
use crate::scalekit::mcp_configs::{self, ConnectionState};
use crate::scalekit::{ApiError, ErrorResponse, Scalekit};

/// Gets or creates the user's instance of the config, and waits for the person when `wait` is given.
pub fn ensure(sk: &Scalekit, config_name: &str, identifier: &str, wait: Option<u64>) -> Result<Success, Failure> {
    let config_name = config_name.trim();
    let instance = mcp_configs::ensure_instance(sk, config_name, identifier).map_err(|e| match e {
        ApiError::Status(r) if r.status == 404 => config_not_found(config_name, *r),
        other => other.into(),
    })?;
    let states = mcp_configs::auth_state(sk, &instance.id, true)?;
    let view = View {
        instance_id: instance.id.clone(),
        config_name: Some(config_name.to_owned()),
        identifier: identifier.to_owned(),
        url: Some(instance.url),
        states,
    };
    report(sk, view, wait, true)
}

/// The same per-connection view for an existing instance.
pub fn auth_state(sk: &Scalekit, instance_id: &str) -> Result<Success, Failure> {
    let id = instance_id.trim();
    let not_found = |e: ApiError| match e {
        ApiError::Status(r) if r.status == 404 => instance_not_found(id, *r),
        other => other.into(),
    };
    let instance = mcp_configs::get_instance(sk, id).map_err(not_found)?;
    let states = mcp_configs::auth_state(sk, id, true).map_err(not_found)?;
    let config_name = instance.config.as_ref().map(|c| c.name.clone()).filter(|n| !n.is_empty());
    let view = View {
        instance_id: id.to_owned(),
        config_name,
        identifier: instance.user_identifier.clone(),
        url: Some(instance.url),
        states,
    };
    report(sk, view, None, false)
}

/// `AUTHORIZATION_REQUIRED` for the connections of config `config_name` (its `states` for the
/// user) that are not active, with their links.
pub fn config_not_ready(sk: &Scalekit, config_name: &str, identifier: &str, states: Vec<ConnectionState>) -> Failure {
    let view = View {
        instance_id: String::new(),
        config_name: Some(config_name.to_owned()),
        identifier: identifier.to_owned(),
        url: None,
        states,
    };
    let links = match links_of(sk, &view) {
        Ok(links) => links,
        Err(failure) => return failure,
    };
    let hint = finished_by_a_wait(sk, &view).unwrap_or_else(|| {
        "Show the person each link verbatim; once they have authorized, run the same command again.".to_owned()
    });
    not_ready(&view, &links, String::new(), &hint)
}

/// The hint when the links finish only while a wait serves the runner's loopback route.
fn finished_by_a_wait(sk: &Scalekit, view: &View) -> Option<String> {
    let config = view.config_name.as_deref().map_or_else(|| "NAME".to_owned(), shell::word);
    sk.links.needs_wait().then(|| {
        format!(
            "Show the person each link verbatim, and keep `agent-auth --ensure-mcp-instance --config-name {config} --identifier {} --wait` running while they open them: it finishes the verification.",
            shell::word(&view.identifier)
        )
    })
}

fn config_not_found(name: &str, r: ErrorResponse) -> Failure {
    let mut failure = errors::status(r);
    let missing = missing_config(name);
    (failure.code, failure.message, failure.hint) = (missing.code, missing.message.clone(), missing.hint.clone());
    failure.with("config_name", name)
}

/// `MCP_CONFIG_NOT_FOUND` for the config `name`, with how to find or create it.
pub fn missing_config(name: &str) -> Failure {
    let hint = format!(
        "Check the name with agent-auth --list-mcp-configs, or create it: agent-auth --create-mcp-config --name {} --tools CONNECTION[:tool1,tool2].",
        shell::word(name)
    );
    Failure::new(Code::McpConfigNotFound, format!("no MCP config named {name}"), hint).with("config_name", name)
}

fn instance_not_found(id: &str, r: ErrorResponse) -> Failure {
    let mut failure = errors::status(r);
    failure.code = Code::McpInstanceNotFound;
    failure.message = format!("no MCP instance with id {id}");
    failure.hint = "Instance ids come from agent-auth --ensure-mcp-instance --config-name NAME --identifier USER, which finds or creates the user's instance.".into();
    failure.with("instance_id", id)
}

/// An instance (or a config, for one user) with the state of each of its connections.
struct View {
    /// Empty for a config.
    instance_id: String,
    config_name: Option<String>,
    identifier: String,
    /// The instance's pre-authenticated URL.
    url: Option<String>,
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
        if !self.instance_id.is_empty() {
            m.insert("instance_id".into(), self.instance_id.clone().into());
        }
        m.insert("config_name".into(), self.config_name.clone().map_or(Value::Null, Value::from));
        m.insert("identifier".into(), self.identifier.clone().into());
        if let Some(url) = &self.url {
            // Pre-authenticated: stdout only.
            m.insert("url".into(), url.clone().into());
        }
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

/// The links Scalekit returned, by connection, for the connections that are not active. In
/// custom user verification they are agent-auth's own instead, carrying the verify URL and a
/// fresh state (Scalekit's have neither, and would fail after consent).
fn links_of(sk: &Scalekit, view: &View) -> Result<BTreeMap<String, String>, Failure> {
    let linked = view.states.iter().filter(|s| !s.is_active() && !s.authentication_link.is_empty());
    linked
        .map(|s| {
            let link = match sk.links.verify_url() {
                Some(_) => new_link(sk, &s.connection_name, &view.identifier)?.link,
                None => s.authentication_link.clone(),
            };
            Ok((s.connection_name.clone(), link))
        })
        .collect()
}

/// Success when every connection is active; otherwise `AUTHORIZATION_REQUIRED` with every link,
/// after waiting for the person when `wait` is given.
fn report(sk: &Scalekit, mut view: View, wait: Option<u64>, can_wait: bool) -> Result<Success, Failure> {
    if view.ready() {
        return Ok(Success { fields: view.fields(&BTreeMap::new()), warnings: Vec::new(), raw: None });
    }
    let mut links = links_of(sk, &view)?;
    let Some(seconds) = wait else {
        let hint = match (finished_by_a_wait(sk, &view), can_wait) {
            (Some(hint), _) => hint,
            (None, true) => "Show the person each link verbatim; once they have authorized, run the same command again (or add --wait to wait for them).".to_owned(),
            (None, false) => "Show the person each link verbatim; once they have authorized, run the same command again.".to_owned(),
        };
        return Err(not_ready(&view, &links, String::new(), &hint));
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
        let current = mcp_configs::auth_state(sk, &view.instance_id, false)?;
        for s in current.iter().filter(|s| s.is_active()) {
            if view.states.iter().any(|old| old.connection_name == s.connection_name && !old.is_active()) {
                output::progress(&format!("{} is connected for {}", s.connection_name, view.identifier));
            }
        }
        // Scalekit's newer links; in custom verification, ours stay (they carry the verify URL).
        let scalekits = sk.links.verify_url().is_none();
        for s in current.iter().filter(|s| scalekits && !s.is_active() && !s.authentication_link.is_empty()) {
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
        return Ok(Success { fields: view.fields(&BTreeMap::new()), warnings: Vec::new(), raw: None });
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

/// `AUTHORIZATION_REQUIRED` (`VERIFICATION_PENDING` when every one waits for its verification)
/// listing every connection that is not active, with its link. The
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
    let action = ActionRequired {
        kind: (if with_link.is_empty() { "dashboard_account_setup" } else { "authorize" }).into(),
        message: sentences.join(" "),
        link: with_link.first().and_then(|l| l["link"].as_str()).map(str::to_owned),
        expires_at: None,
        links: Some(with_link.clone()),
    };
    // Approved, and waiting only for their verification: a new link finishes them.
    let verifying = pending.iter().all(|s| s.connected_account_status == PENDING_VERIFICATION);
    let code = if verifying { Code::VerificationPending } else { Code::AuthorizationRequired };
    Failure::new(code, message, hint).with_fields(view.fields(links)).action(action)
}
