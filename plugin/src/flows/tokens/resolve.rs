//! Which connection and user a service means: its mapping in `connections.json`, else a connection
//! of that name; for `--for-url`, the connection whose provider serves the URL's host. When neither
//! fits, the failure names the connections that look like what was meant.

use agent_auth_contract::shell;

use super::combine::front;
use super::hosts;
use super::store::{self, Mapping};
use super::{Run, Target};
use crate::flows::first_completed::not_completed;
use crate::output::{Code, Failure};
use crate::scalekit::connections::Connection;

impl Run<'_, '_> {
    /// Finds the connection and identifier of `service`: its mapping, else a connection of that name.
    pub(super) fn resolve(&mut self, service: &str) -> Result<Target, Failure> {
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
        let all = self.catalogue.all()?;
        Ok(all.iter().filter(|c| c.is_completed() && c.resembles(service)).map(|c| c.key_id.clone()).collect())
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
        let failure = Failure::new(
            Code::ServiceNotConfigured,
            format!("{service} is neither a configured service nor a connection name"),
            hint,
        );
        // One connection to map it to, and a user to act for: the fix is a command.
        let next = match candidates.as_slice() {
            [only] if self.identifier.is_some() && store::check_service_name(service).is_ok() => {
                Some(vec!["agent-auth", "--configure", service, "--connection-name", only.as_str()])
            }
            _ => None,
        };
        let failure = match next {
            Some(next) => failure.next(next),
            None => failure,
        };
        failure.with("candidates", candidates)
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
    pub(super) fn pick_for_url(&mut self, url: &str) -> Result<(String, Target, Vec<String>), Failure> {
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
