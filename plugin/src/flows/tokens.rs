//! Service tokens (the `scalekit-auth` skill's job): `--configure` maps a short service name to a
//! connection (and identifier) in `connections.json`; `--list-services` shows the mappings;
//! `--get-token` hands a script a fresh provider access token on stdout.
//!
//! The token leaves the component only in the result object on stdout: never in a warning, an
//! error message, a hint or anything `app.rs` writes to the audit trail.

mod catalogue;
mod hosts;
mod store;

use serde_json::{Map, Value, json};

use self::catalogue::Catalogue;
use self::store::{Mapping, Store};
use super::account::{authorization_needed, find_or_create_account, not_completed, summary};
use crate::clock;
use crate::output::{ActionRequired, Code, Failure, Success, shell};
use crate::scalekit::Scalekit;
use crate::scalekit::accounts::{self, Account};
use crate::scalekit::connections::Connection;
use crate::storage::Storage;

/// Account types whose credential is an access token; every other type holds static fields.
const TOKEN_TYPES: [&str; 3] = ["OAUTH", "OAUTH_M2M", "GOOGLE_DWD"];

/// `--configure SERVICE --connection-name C [--identifier I]`.
pub fn configure(
    storage: &Storage,
    service: &str,
    connection_name: &str,
    identifier: Option<&str>,
) -> Result<Success, Failure> {
    store::check_service_name(service)?;
    store::check_connection_name(connection_name)?;
    let identifier = identifier.map(store::check_identifier).transpose()?;
    let mut store = Store::load(storage.config_dir()?)?;
    let mapping = Mapping { service: service.to_owned(), connection_name: connection_name.to_owned(), identifier };
    let previous = store.set(&mapping);
    store.save()?;
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

/// `--list-services`.
pub fn list_services(storage: &Storage) -> Result<Success, Failure> {
    let store = Store::load(storage.config_dir()?)?;
    let services: Vec<Value> = store.mappings().iter().map(Mapping::to_json).collect();
    Ok(Success::default().with("services", services).with("path", store.path().to_string_lossy()))
}

/// `--get-token SERVICE... [--for-url URL]`; `identifier` is `--identifier` or `TOOL_IDENTIFIER`.
///
/// One service: the token object itself (or its failure). Several (or a service and `--for-url`):
/// `{"tokens": [...]}` with one entry per service, each with its own `ok` and `error`; the command
/// succeeds only when every entry does, and otherwise fails with the most severe entry's code
/// (see [`severity`]).
pub fn get_tokens(
    sk: &Scalekit,
    storage: &Storage,
    services: &[String],
    for_url: Option<&str>,
    identifier: Option<&str>,
    include_static: bool,
) -> Result<Success, Failure> {
    // Without a config folder (another WASI host) there are no mappings: names are connections.
    let store = match storage.config_dir() {
        Ok(dir) => Store::load(dir)?,
        Err(_) => Store::empty(),
    };
    let mut warnings = Vec::new();
    let mut wanted: Vec<&str> = Vec::new();
    for service in services.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if wanted.contains(&service) {
            warnings.push(format!("{service} was asked for more than once; it is fetched once"));
        } else {
            wanted.push(service);
        }
    }
    let identifier = identifier.map(str::trim).filter(|s| !s.is_empty());
    let mut run = Run { sk, store, catalogue: Catalogue::new(sk), identifier, include_static };
    let count = wanted.len() + usize::from(for_url.is_some());
    let mut results: Vec<Result<Success, Failure>> = Vec::with_capacity(count);
    for service in &wanted {
        results.push(run.for_service(service));
        // A failure every later service would repeat (bad credentials, no network, rate limit)
        // ends the command at once, with that failure alone.
        if results.last().is_some_and(|r| r.as_ref().is_err_and(|f| shared(f.code))) && count > 1 {
            return single(results.pop().expect("a result"), warnings);
        }
    }
    if let Some(url) = for_url {
        results.push(run.for_url(url));
    }
    if results.len() == 1 {
        return single(results.pop().expect("one result"), warnings);
    }
    combine(results, warnings)
}

/// Failures that are not about one service but about the whole environment.
fn shared(code: Code) -> bool {
    matches!(
        code,
        Code::InvalidCredentials | Code::EgressDenied | Code::TransportError | Code::Timeout | Code::RateLimited
    )
}

/// One result as the command's result, after the warnings gathered before it.
fn single(result: Result<Success, Failure>, mut warnings: Vec<String>) -> Result<Success, Failure> {
    match result {
        Ok(mut success) => {
            warnings.append(&mut success.warnings);
            success.warnings = warnings;
            Ok(success)
        }
        Err(mut failure) => {
            let later = std::mem::take(&mut failure.warnings);
            failure.warnings = warnings.into_iter().chain(later).collect();
            Err(failure)
        }
    }
}

/// The state shared by the services of one `--get-token`.
struct Run<'s, 'a> {
    sk: &'s Scalekit<'a>,
    store: Store,
    catalogue: Catalogue<'s, 'a>,
    identifier: Option<&'s str>,
    include_static: bool,
}

/// A resolved service: the connection to use and the user to act for.
struct Target {
    connection: Connection,
    identifier: String,
}

impl Run<'_, '_> {
    /// One `--get-token SERVICE`.
    fn for_service(&mut self, service: &str) -> Result<Success, Failure> {
        let result = self.resolve(service).and_then(|target| self.fetch(service, target));
        result.map_err(|f| front(f, "service", service.into()))
    }

    /// `--get-token --for-url URL`: the service is the one whose provider serves the URL's host.
    fn for_url(&mut self, url: &str) -> Result<Success, Failure> {
        let (service, target, warnings) = match self.pick_for_url(url) {
            Ok(picked) => picked,
            Err(f) => {
                // The service, when one was picked before the failure; null otherwise.
                let service = f.fields.get("service").cloned().unwrap_or(Value::Null);
                return Err(front(front(f, "for_url", url.into()), "service", service));
            }
        };
        match self.fetch(&service, target) {
            Ok(mut success) => {
                success.fields.insert("for_url".into(), url.into());
                success.warnings.splice(0..0, warnings);
                Ok(success)
            }
            Err(f) => Err(front(front(f, "for_url", url.into()), "service", service.into()).warn(warnings)),
        }
    }

    /// Finds the connection and identifier of `service`: its mapping, else a connection of that name.
    fn resolve(&mut self, service: &str) -> Result<Target, Failure> {
        if let Some(mapping) = self.store.get(service) {
            let identifier = self.identifier_for(service, &mapping.connection_name, Some(&mapping))?;
            let Some(connection) = self.catalogue.find(&mapping.connection_name)? else {
                return Err(self.stale(service, &mapping));
            };
            return usable(connection, identifier);
        }
        let Some(connection) = self.catalogue.find(service)? else {
            return Err(self.not_configured(service));
        };
        let identifier = self.identifier_for(service, &connection.key_id, None)?;
        usable(connection, identifier)
    }

    /// The mapping's identifier, else `--identifier` / `TOOL_IDENTIFIER`.
    fn identifier_for(
        &self,
        service: &str,
        connection_name: &str,
        mapping: Option<&Mapping>,
    ) -> Result<String, Failure> {
        if let Some(identifier) = mapping.and_then(|m| m.identifier.as_deref()).or(self.identifier) {
            return Ok(identifier.to_owned());
        }
        let why = if mapping.is_some() { "its mapping names none, and neither" } else { "neither" };
        let hint = if store::check_service_name(service).is_ok() {
            format!(
                "Pass --identifier USER_ID or set TOOL_IDENTIFIER, or store the user with the service: agent-auth --configure {} --connection-name {} --identifier USER_ID",
                shell::word(service),
                shell::word(connection_name)
            )
        } else {
            "Pass --identifier USER_ID or set TOOL_IDENTIFIER.".to_owned()
        };
        Err(Failure::new(
            Code::IdentifierRequired,
            format!("no identifier for {service}: {why} --identifier nor TOOL_IDENTIFIER is set"),
            hint,
        )
        .with("connection_name", connection_name))
    }

    /// Completed connections that look like what `service` means (same provider, or similar name).
    fn candidates(&mut self, service: &str) -> Result<Vec<String>, Failure> {
        let wanted = service.to_ascii_lowercase();
        let all = self.catalogue.all()?;
        Ok(all
            .iter()
            .filter(|c| c.is_completed())
            .filter(|c| {
                let (key, provider) = (c.key_id.to_ascii_lowercase(), c.provider_key.to_ascii_lowercase());
                provider == wanted || key.contains(&wanted) || (!provider.is_empty() && wanted.contains(&provider))
            })
            .map(|c| c.key_id.clone())
            .collect())
    }

    /// The `--configure` command that would fix `service`, with the best candidate connection.
    fn configure_command(&self, service: &str, candidates: &[String]) -> String {
        let service = if store::check_service_name(service).is_ok() { shell::word(service) } else { "SERVICE".into() };
        let name = candidates.first().map_or_else(|| "NAME".to_owned(), |c| shell::word(c));
        let identifier = if self.identifier.is_none() { " --identifier USER_ID" } else { "" };
        format!("agent-auth --configure {service} --connection-name {name}{identifier}")
    }

    /// `SERVICE_NOT_CONFIGURED`: neither a mapping nor a connection of that name.
    fn not_configured(&mut self, service: &str) -> Failure {
        let candidates = match self.candidates(service) {
            Ok(c) => c,
            Err(f) => return f,
        };
        let command = self.configure_command(service, &candidates);
        let hint = match candidates.as_slice() {
            [] => format!(
                "Map the service to a connection: {command} (NAME: a key_id from agent-auth --list-connections)"
            ),
            [_] => format!("Map the service to its connection: {command}"),
            [_, others @ ..] => format!("Map the service to a connection: {command} (or: {})", others.join(", ")),
        };
        Failure::new(
            Code::ServiceNotConfigured,
            format!("{service} is neither a configured service nor a connection name"),
            hint,
        )
        .with("candidates", candidates)
    }

    /// `CONNECTION_NOT_FOUND` for a mapping whose connection no longer exists.
    fn stale(&mut self, service: &str, mapping: &Mapping) -> Failure {
        let candidates = match self.candidates(service) {
            Ok(c) => c,
            Err(f) => return f,
        };
        Failure::new(
            Code::ConnectionNotFound,
            format!(
                "{service} is mapped to the connection {}, which does not exist in this environment",
                mapping.connection_name
            ),
            format!("Map it to an existing connection: {}", self.configure_command(service, &candidates)),
        )
        .with("connection_name", &mapping.connection_name)
        .with("candidates", candidates)
    }

    /// Picks the service for `url`: a configured service whose connection's provider serves the
    /// host, else the first COMPLETED connection of that provider.
    fn pick_for_url(&mut self, url: &str) -> Result<(String, Target, Vec<String>), Failure> {
        let parsed = hosts::parse(url).ok_or_else(|| {
            Failure::new(
                Code::Usage,
                format!("--for-url {url:?} is not a URL"),
                "Pass the API URL the token is for, e.g. --for-url https://api.notion.com/v1/search.",
            )
        })?;
        let host = parsed.host.clone();
        let providers = hosts::providers_for(&parsed).ok_or_else(|| {
            Failure::new(
                Code::UnknownApiHost,
                format!("agent-auth does not know which provider serves {host}"),
                "Name the service instead: agent-auth --get-token SERVICE (configured services: agent-auth --list-services).",
            )
            .with("host", &host)
        })?;
        let all = self.catalogue.all()?.to_vec();
        let mut warnings = Vec::new();
        let provider_of = |name: &str| all.iter().find(|c| c.key_id == name);
        for provider in providers {
            let mut matching: Vec<Mapping> = self
                .store
                .mappings()
                .into_iter()
                .filter(|m| {
                    provider_of(&m.connection_name).is_some_and(|c| c.provider_key.eq_ignore_ascii_case(provider))
                })
                .collect();
            // Services whose connection is usable come first.
            matching.sort_by_key(|m| !provider_of(&m.connection_name).is_some_and(Connection::is_completed));
            let Some(first) = matching.first() else { continue };
            if matching.len() > 1 {
                let others: Vec<&str> = matching[1..].iter().map(|m| m.service.as_str()).collect();
                warnings.push(format!(
                    "{} configured services serve {host}; using {} (others: {}). Name one to use it: agent-auth --get-token SERVICE",
                    matching.len(),
                    first.service,
                    others.join(", ")
                ));
            }
            let target = self.resolve(&first.service).map_err(|f| front(f, "service", first.service.clone().into()))?;
            return Ok((first.service.clone(), target, warnings));
        }
        for provider in providers {
            let completed: Vec<&Connection> =
                all.iter().filter(|c| c.provider_key.eq_ignore_ascii_case(provider) && c.is_completed()).collect();
            let Some(first) = completed.first() else { continue };
            if completed.len() > 1 {
                let others: Vec<&str> = completed[1..].iter().map(|c| c.key_id.as_str()).collect();
                warnings.push(format!(
                    "{} COMPLETED {provider} connections serve {host}; using {} (others: {}). Map a service to choose: agent-auth --configure SERVICE --connection-name NAME",
                    completed.len(),
                    first.key_id,
                    others.join(", ")
                ));
            }
            let identifier = self
                .identifier_for(&first.key_id, &first.key_id, None)
                .map_err(|f| front(f, "service", first.key_id.clone().into()))?;
            return Ok((first.key_id.clone(), Target { connection: (*first).clone(), identifier }, warnings));
        }
        let existing: Vec<&Connection> =
            all.iter().filter(|c| providers.iter().any(|p| c.provider_key.eq_ignore_ascii_case(p))).collect();
        if !existing.is_empty() {
            return Err(not_completed(&existing).with("host", &host));
        }
        Err(Failure::new(
            Code::ConnectionNotFound,
            format!("no connection serves {host}: this environment has no {} connection", providers.join(" or ")),
            format!("Create a {} connection in the Scalekit dashboard (Agent Auth > Connections), then run the command again.", providers[0]),
        )
        .with("host", &host))
    }

    /// Gets (or creates) the account and, when it is active, its access token or static fields.
    fn fetch(&mut self, service: &str, target: Target) -> Result<Success, Failure> {
        let Target { connection, identifier } = target;
        let name = connection.key_id.clone();
        let context = |f: Failure| f.with("connection_name", &name).with("identifier", &identifier);
        let account = find_or_create_account(self.sk, &connection, &identifier).map_err(context)?;
        let active = match account {
            Some(account) if account.is_active() => account,
            other => return Err(self.authorize(service, &connection, &identifier, other.as_ref(), None)),
        };
        let static_only = !TOKEN_TYPES.contains(&if active.authorization_type.is_empty() {
            connection.kind.as_str()
        } else {
            active.authorization_type.as_str()
        });
        if static_only && !self.include_static {
            return Err(include_static_required(service, &connection, &identifier, &active));
        }
        let Some(credentials) = accounts::credentials(self.sk, &name, &identifier).map_err(|e| context(e.into()))?
        else {
            return Err(Failure::new(
                Code::AccountNotFound,
                format!("{identifier}'s account on {name} was removed while its token was being fetched"),
                "Run the same command again; it creates or finds the account anew.",
            )
            .with_fields(summary(&connection, &identifier, None)));
        };
        if !credentials.account.is_active() {
            return Err(self.authorize(service, &connection, &identifier, Some(&credentials.account), None));
        }
        let base =
            Success::default().with("service", service).with("connection_name", &name).with("identifier", &identifier);
        if let Some(token) = &credentials.access_token {
            let mut success = base
                .with("access_token", token.expose())
                .with("token_type", "Bearer")
                .with("expires_at", &credentials.expires_at);
            if let Some(expiry) =
                credentials.expires_at.as_deref().filter(|t| clock::parse_rfc3339(t).is_some_and(|t| t <= clock::now()))
            {
                success.warnings.push(format!(
                    "Scalekit records this token as expired at {expiry}; if the provider rejects it, run agent-auth --get-token {} again in a minute (Scalekit refreshes tokens shortly before they expire)",
                    shell::word(service)
                ));
            }
            return Ok(success);
        }
        if let Some(fields) = &credentials.static_fields {
            if !self.include_static {
                return Err(include_static_required(service, &connection, &identifier, &credentials.account));
            }
            return Ok(base
                .with("authorization_type", &credentials.account.authorization_type)
                .with("static", fields.expose()));
        }
        let message =
            format!("Scalekit holds no access token for {name} and {identifier}, although the account is ACTIVE");
        Err(self.authorize(service, &connection, &identifier, Some(&credentials.account), Some(message)))
    }

    /// `AUTHORIZATION_REQUIRED` with a fresh link (OAuth) or the dashboard instruction.
    fn authorize(
        &self,
        service: &str,
        connection: &Connection,
        identifier: &str,
        account: Option<&Account>,
        message: Option<String>,
    ) -> Failure {
        let status = account.map_or("NOT_FOUND", |a| a.status.as_str());
        let message = message.unwrap_or_else(|| {
            format!("no token for {service}: {} is not connected for {identifier} (status {status})", connection.key_id)
        });
        authorization_needed(self.sk, connection, identifier, account, Code::AuthorizationRequired, message)
            .with_fields(summary(connection, identifier, account))
    }
}

/// A connection the account can be used on, or `CONNECTION_NOT_COMPLETED`.
fn usable(connection: Connection, identifier: String) -> Result<Target, Failure> {
    if !connection.is_completed() {
        return Err(not_completed(&[&connection])
            .with("connection_name", &connection.key_id)
            .with("identifier", &identifier));
    }
    Ok(Target { connection, identifier })
}

/// `INCLUDE_STATIC_REQUIRED`: a non-OAuth account's credentials are printed only on request.
fn include_static_required(service: &str, connection: &Connection, identifier: &str, account: &Account) -> Failure {
    let kind = if account.authorization_type.is_empty() {
        connection.kind.as_str()
    } else {
        account.authorization_type.as_str()
    };
    Failure::new(
        Code::IncludeStaticRequired,
        format!(
            "{identifier}'s account on {} is of type {kind}: it holds static credentials (an API key, a bearer token or a password), not an OAuth access token, and agent-auth prints those only when asked",
            connection.key_id
        ),
        format!("If the script needs them, run again with --include-static: agent-auth --get-token {} --include-static", shell::word(service)),
    )
    .with_fields(summary(connection, identifier, Some(account)))
}

/// Puts `key` first among the failure's fields (replacing any value it had).
fn front(mut failure: Failure, key: &str, value: Value) -> Failure {
    let mut fields = Map::new();
    fields.insert(key.to_owned(), value);
    for (k, v) in std::mem::take(&mut failure.fields) {
        fields.entry(k).or_insert(v);
    }
    failure.fields = fields;
    failure
}

/// How bad a failed entry is, to choose the exit code of several: a bug (1), then a wrong command
/// (2), missing configuration (3), something that does not exist (5), a refusal (6), a transient
/// network failure (7), and last a person having to act (4), which is the normal first run.
fn severity(code: Code) -> u8 {
    match code.exit_code() {
        1 => 7,
        2 => 6,
        3 => 5,
        5 => 4,
        6 => 3,
        7 => 2,
        4 => 1,
        _ => 0,
    }
}

/// The result of several services: `{"tokens": [...]}`, ok only when every entry is.
fn combine(results: Vec<Result<Success, Failure>>, mut warnings: Vec<String>) -> Result<Success, Failure> {
    let total = results.len();
    let mut entries = Vec::with_capacity(total);
    let mut failed: Vec<(String, Code, String)> = Vec::new();
    let mut actions: Vec<(String, ActionRequired)> = Vec::new();
    for result in results {
        match result {
            Ok(success) => {
                let label = label(&success.fields);
                warnings.extend(success.warnings.into_iter().map(|w| format!("{label}: {w}")));
                let mut entry = Map::new();
                entry.insert("ok".into(), true.into());
                entry.extend(success.fields);
                entries.push(Value::Object(entry));
            }
            Err(failure) => {
                let label = label(&failure.fields);
                warnings.extend(failure.warnings.into_iter().map(|w| format!("{label}: {w}")));
                let mut entry = Map::new();
                entry.insert("ok".into(), false.into());
                entry.insert("service".into(), failure.fields.get("service").cloned().unwrap_or(Value::Null));
                entry.insert(
                    "error".into(),
                    json!({"code": failure.code, "message": failure.message, "hint": failure.hint}),
                );
                for (k, v) in failure.fields {
                    entry.entry(k).or_insert(v);
                }
                if let Some(action) = failure.action_required {
                    entry.insert("action_required".into(), json!(action));
                    actions.push((label.clone(), action));
                }
                failed.push((label, failure.code, failure.hint));
                entries.push(Value::Object(entry));
            }
        }
    }
    if failed.is_empty() {
        return Ok(Success { fields: Map::from_iter([("tokens".to_owned(), Value::Array(entries))]), warnings });
    }
    let worst = failed.iter().fold(&failed[0], |worst, f| if severity(f.1) > severity(worst.1) { f } else { worst });
    let listed: Vec<String> = failed
        .iter()
        .map(|(label, code, _)| format!("{label} ({})", json!(code).as_str().unwrap_or_default()))
        .collect();
    let hint = if failed.len() == 1 {
        format!("{}: {}", worst.0, worst.2)
    } else {
        format!("Each failed entry of tokens has its own error and hint; start with {}: {}", worst.0, worst.2)
    };
    let mut failure = Failure::new(
        worst.1,
        format!("no token for {} of {total} services: {}", failed.len(), listed.join(", ")),
        hint,
    )
    .with("tokens", entries)
    .warn(warnings);
    failure.action_required = match actions.len() {
        0 => None,
        1 => actions.pop().map(|(_, a)| a),
        n => {
            let steps: Vec<String> = actions
                .iter()
                .map(|(label, a)| match &a.link {
                    Some(link) => format!("{label}: {} {link}", a.message),
                    None => format!("{label}: {}", a.message),
                })
                .collect();
            let first = actions[0].1.clone();
            Some(ActionRequired {
                kind: first.kind,
                message: format!(
                    "{n} services need a person (each entry of tokens has its own action_required): {}",
                    steps.join(" | ")
                ),
                link: first.link,
                expires_at: first.expires_at,
            })
        }
    };
    Err(failure)
}

/// The name an entry goes by in messages: its service, else its `--for-url`.
fn label(fields: &Map<String, Value>) -> String {
    fields
        .get("service")
        .and_then(Value::as_str)
        .or_else(|| fields.get("for_url").and_then(Value::as_str))
        .unwrap_or("?")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_puts_a_person_acting_last_and_bugs_first() {
        let order = [
            Code::InternalError,
            Code::Usage,
            Code::ServiceNotConfigured,
            Code::ConnectionNotFound,
            Code::RateLimited,
            Code::TransportError,
            Code::AuthorizationRequired,
        ];
        for pair in order.windows(2) {
            assert!(severity(pair[0]) > severity(pair[1]), "{:?} vs {:?}", pair[0], pair[1]);
        }
    }

    #[test]
    fn several_results_fail_with_the_most_severe_code() {
        let ok = Success::default().with("service", "notion").with("access_token", "t");
        let auth =
            Failure::new(Code::AuthorizationRequired, "m1", "h1").with("service", "gmail").action(ActionRequired {
                kind: "authorize",
                message: "Open this link.".into(),
                link: Some("https://x/magic/1".into()),
                expires_at: None,
            });
        let missing = Failure::new(Code::ServiceNotConfigured, "m2", "h2").with("service", "jira");
        let failure = combine(vec![Ok(ok), Err(auth), Err(missing)], vec![]).unwrap_err();
        assert_eq!(failure.code, Code::ServiceNotConfigured);
        assert_eq!(
            failure.message,
            "no token for 2 of 3 services: gmail (AUTHORIZATION_REQUIRED), jira (SERVICE_NOT_CONFIGURED)"
        );
        assert_eq!(failure.action_required.as_ref().unwrap().link.as_deref(), Some("https://x/magic/1"));
        let tokens = failure.fields["tokens"].as_array().unwrap();
        assert_eq!(tokens[0], json!({"ok": true, "service": "notion", "access_token": "t"}));
        assert_eq!(tokens[1]["error"]["code"], "AUTHORIZATION_REQUIRED");
        assert_eq!(tokens[2]["service"], "jira");
    }

    #[test]
    fn several_links_are_all_named_in_the_top_level_action() {
        let pending = |service: &str, link: &str| {
            Failure::new(Code::AuthorizationRequired, "m", "h").with("service", service).action(ActionRequired {
                kind: "authorize",
                message: format!("Open this link to connect {service}."),
                link: Some(link.into()),
                expires_at: Some("2026-11-21T10:00:00Z".into()),
            })
        };
        let failure = combine(
            vec![Err(pending("gmail", "https://x/magic/1")), Err(pending("slack", "https://x/magic/2"))],
            vec!["w".into()],
        )
        .unwrap_err();
        assert_eq!(failure.code, Code::AuthorizationRequired);
        let action = failure.action_required.unwrap();
        assert_eq!(action.link.as_deref(), Some("https://x/magic/1"));
        assert!(
            action.message.contains("https://x/magic/1") && action.message.contains("https://x/magic/2"),
            "{}",
            action.message
        );
        assert_eq!(failure.warnings, ["w"]);
    }
}
