//! Service tokens (the `scalekit-auth` skill's job): `--configure` maps a short service name to a
//! connection (and identifier) in `connections.json` ([`services`]); `--list-services` shows the
//! mappings; `--get-token` hands a script a fresh provider access token on stdout: each service is
//! resolved to a connection and a user ([`resolve`]), its token fetched ([`fetch`]), and several
//! results combined into one ([`combine`]).
//!
//! The token leaves the component only in the result object on stdout: never in a warning, an
//! error message, a hint or anything `app.rs` writes to the audit trail.

mod catalogue;
mod combine;
mod fetch;
mod hosts;
mod resolve;
mod services;
mod store;

use agent_auth_contract::option::{CONNECTION_NAME, FOR_URL, IDENTIFIER, INCLUDE_STATIC, RAW};
use serde_json::Value;

use self::catalogue::Catalogue;
use self::combine::{combine, front, shared, single};
use self::store::Store;
use super::operation::{Context, LocalOperation, RemoteOperation};
use crate::cli::{Args, usage};
use crate::output::{Failure, Success};
use crate::scalekit::Scalekit;
use crate::scalekit::connections::Connection;
use crate::storage::Storage;

/// `--configure SERVICE --connection-name C [--identifier I]`.
pub struct Configure {
    service: String,
    connection_name: String,
    identifier: Option<String>,
}

impl LocalOperation for Configure {
    fn parse(args: &Args) -> Result<Self, Failure> {
        let service = args.operand().first().cloned().unwrap_or_default();
        if service.trim().is_empty() {
            return Err(usage(
                "--configure needs a service name",
                "Pass a short name, e.g. --configure gmail --connection-name gmail_u3134a.",
            ));
        }
        Ok(Configure {
            service,
            connection_name: args.required(&CONNECTION_NAME),
            identifier: args.text(&IDENTIFIER).map(str::to_owned),
        })
    }

    fn run(self, storage: &Storage) -> Result<Success, Failure> {
        services::configure(storage, &self.service, &self.connection_name, self.identifier.as_deref())
    }
}

/// `--list-services`.
pub struct ListServices;

impl LocalOperation for ListServices {
    fn parse(_: &Args) -> Result<Self, Failure> {
        Ok(ListServices)
    }

    fn run(self, storage: &Storage) -> Result<Success, Failure> {
        services::list(storage)
    }
}

/// `--get-token [SERVICE]... [--for-url URL] [--include-static] [--raw] [--identifier I]`.
pub struct GetToken {
    services: Vec<String>,
    for_url: Option<String>,
    include_static: bool,
    /// Print the token alone (`--raw`).
    raw: bool,
}

impl RemoteOperation for GetToken {
    fn parse(args: &Args) -> Result<Self, Failure> {
        let services: Vec<String> = args.operand().iter().filter(|s| !s.trim().is_empty()).cloned().collect();
        let for_url = args.text(&FOR_URL).map(str::to_owned);
        if services.is_empty() && for_url.is_none() {
            return Err(usage(
                "--get-token needs a SERVICE or --for-url URL",
                "Pass --get-token SERVICE (see agent-auth --list-services), or --get-token --for-url https://api.example.com/...",
            ));
        }
        let raw = args.has(&RAW);
        let distinct: std::collections::BTreeSet<&str> = services.iter().map(|s| s.trim()).collect();
        if raw && distinct.len() + usize::from(for_url.is_some()) > 1 {
            return Err(usage(
                "--raw prints one token: name one SERVICE (or --for-url URL alone)",
                "Run --get-token --raw once per service, or drop --raw to get them all in one JSON object.",
            ));
        }
        Ok(GetToken { services, for_url, include_static: args.has(&INCLUDE_STATIC), raw })
    }

    fn run(self, ctx: &Context) -> Result<Success, Failure> {
        let result = get_tokens(
            &ctx.sk,
            ctx.storage,
            &self.services,
            self.for_url.as_deref(),
            ctx.identifier.as_deref(),
            self.include_static,
        )?;
        if self.raw { raw_token(result) } else { Ok(result) }
    }
}

/// The one token of `result` alone: the access token, or a non-OAuth account's only static field.
fn raw_token(result: Success) -> Result<Success, Failure> {
    let service = result.fields.get("service").and_then(Value::as_str).unwrap_or_default().to_owned();
    if let Some(token) = result.fields.get("access_token").and_then(Value::as_str) {
        let token = token.to_owned();
        return Ok(result.printed_as(token));
    }
    let fields = result.fields.get("static").and_then(Value::as_object);
    if let Some(fields) = fields
        && let [(_, Value::String(only))] = fields.iter().collect::<Vec<_>>().as_slice()
    {
        let only = only.clone();
        return Ok(result.printed_as(only));
    }
    let names: Vec<&str> = fields.map(|f| f.keys().map(String::as_str).collect()).unwrap_or_default();
    Err(usage(
        format!(
            "--raw prints one token, and the account of {service} has {} static fields ({})",
            names.len(),
            names.join(", ")
        ),
        "Drop --raw and read the fields from the JSON object.",
    ))
}

/// `--get-token SERVICE... [--for-url URL]`; `identifier` is `--identifier` or `TOOL_IDENTIFIER`.
///
/// One service: the token object itself (or its failure). Several (or a service and `--for-url`):
/// `{"tokens": [...]}` with one entry per service, each with its own `ok` and `error`; the command
/// succeeds only when every entry does, and otherwise fails with the most severe entry's code
/// (see [`combine`]).
fn get_tokens(
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
}
