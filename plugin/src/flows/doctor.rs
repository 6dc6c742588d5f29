//! `--doctor`: what breaks first for a new user, checked in the order it breaks, each finding with
//! how to fix it: the variables, agent-auth's folders, the runner and the component, the way to
//! the environment, the clock, the credentials, the connections, and the user's accounts; with a
//! hosted MCP URL, its server. A check that needs one before it that failed is skipped. Exit 0 when nothing failed, else the
//! exit code of the first failure.

use agent_auth_contract::http_date;
use agent_auth_contract::option::IDENTIFIER;
use agent_auth_contract::rfc3339;
use agent_auth_contract::variables::{self, RUNNER_FACTS};
use agent_auth_contract::verification::{RouteHolder, Verification};
use serde::Serialize;
use serde_json::Value;

use super::first_completed::not_completed;
use crate::cli::Args;
use crate::clock;
use crate::config::{self, Config};
use crate::hosted::{Endpoint, HostedServer};
use crate::http::{HttpClient, Response, WasiClient, header};
use crate::output::{ActionRequired, Code, Failure, Success};
use crate::scalekit::accounts::{self, Account, ListedAccount};
use crate::scalekit::client_token::ClientToken;
use crate::scalekit::connections::{self, Connection};
use crate::scalekit::{ApiError, Scalekit};
use crate::storage::Storage;

/// How a check came out.
#[derive(Serialize, PartialEq, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Status {
    Pass,
    /// Works, but something is about to go wrong or runs slower than it should.
    Warn,
    Fail,
    /// A check before it failed.
    Skipped,
}

/// One check's finding.
#[derive(Serialize)]
struct Finding {
    check: &'static str,
    status: Status,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<Code>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<Value>,
    /// What a person must do, carried to the report when this is the first failure.
    #[serde(skip)]
    action: Option<ActionRequired>,
}

impl Finding {
    fn pass(check: &'static str, detail: impl Into<String>) -> Finding {
        Finding { check, status: Status::Pass, detail: detail.into(), code: None, hint: None, next: None, action: None }
    }

    fn warn(check: &'static str, detail: impl Into<String>, hint: impl Into<String>) -> Finding {
        Finding { status: Status::Warn, hint: Some(hint.into()), ..Finding::pass(check, detail) }
    }

    fn fail(check: &'static str, failure: Failure) -> Finding {
        Finding {
            check,
            status: Status::Fail,
            detail: failure.message.clone(),
            code: Some(failure.code),
            hint: Some(failure.hint.clone()),
            next: failure.fields.get("next").cloned(),
            action: failure.action_required.clone(),
        }
    }

    fn skipped(check: &'static str, why: &str) -> Finding {
        Finding { status: Status::Skipped, ..Finding::pass(check, why) }
    }
}

/// The clock may be this far off without a word, in seconds.
const SKEW_QUIET: i64 = 60;
/// Beyond this many seconds, tokens and links go wrong: a failure.
const SKEW_MAX: i64 = 300;
/// A static credential (API key, bearer token) expiring within this many seconds is mentioned;
/// OAuth tokens are refreshed by Scalekit and are not.
const EXPIRY_SOON: i64 = 7 * 24 * 60 * 60;

/// Runs every check. With a hosted MCP URL and no client credentials, the checks of Scalekit's
/// API give way to one of the MCP server.
pub fn run(args: &Args, env: &[(String, String)], storage: &Storage) -> Result<Success, Failure> {
    let mut findings = Vec::new();
    let (endpoint, config) = (Endpoint::from_env(env), Config::from_env(env));
    let mcp_only = matches!(endpoint, Some(Ok(_))) && config.is_err();
    // The MCP server to check, or why the configured one cannot be used.
    let (mut server, mut unusable) = (None, None);
    let config = match (config, endpoint) {
        (Ok(config), endpoint) => {
            match endpoint {
                Some(Ok(endpoint)) => server = Some(endpoint),
                Some(Err(invalid)) => unusable = Some(invalid),
                None => {}
            }
            findings.push(Finding::pass(
                "variables",
                format!(
                    "TOOL_CLIENT_ID, TOOL_CLIENT_SECRET and TOOL_ENV_URL are set; the environment is {}",
                    config.env_url
                ),
            ));
            Some(config)
        }
        (Err(_), Some(Ok(endpoint))) => {
            findings.push(Finding::pass(
                "variables",
                format!(
                    "{} is the MCP server {}: --get-tool and --execute-tool need nothing else",
                    endpoint.variable, endpoint.shown
                ),
            ));
            server = Some(endpoint);
            None
        }
        (Err(_), Some(Err(invalid))) => {
            findings.push(Finding::fail("variables", invalid));
            None
        }
        (Err(failure), None) => {
            findings.push(Finding::fail("variables", failure));
            None
        }
    };
    let identifier =
        args.text(&IDENTIFIER).map(str::to_owned).or_else(|| variables::IDENTIFIER.read(|n| config::var(env, n)));
    findings.push(match &identifier {
        _ if mcp_only => Finding::pass("identifier", "the MCP URL acts for the user it was made for"),
        Some(id) => Finding::pass("identifier", format!("acting for {id}")),
        None => Finding::warn(
            "identifier",
            "no TOOL_IDENTIFIER: every operation for a user needs --identifier, and the accounts are not checked",
            "Set TOOL_IDENTIFIER to the id your app uses for the person (or pass --identifier).",
        ),
    });
    findings.push(folder("config folder", storage.config_dir().ok()));
    findings.push(folder("state folder", storage.state_dir()));
    findings.push(runner(config::var(env, RUNNER_FACTS)));
    findings.push(user_verification(env));
    match &config {
        Some(config) => remote(config, identifier.as_deref(), storage, &mut findings),
        None if mcp_only => {}
        None => {
            for check in ["network", "clock", "credentials", "connections", "accounts"] {
                findings.push(Finding::skipped(check, "needs the variables"));
            }
        }
    }
    if let Some(endpoint) = &server {
        findings.push(mcp_server(endpoint));
    }
    if let Some(invalid) = unusable {
        findings.push(Finding::fail("mcp server", invalid));
    }
    conclude(findings)
}

/// The hosted MCP server opens a session and lists its tools.
fn mcp_server(endpoint: &Endpoint) -> Finding {
    let http = WasiClient;
    match HostedServer::connect(&http, endpoint).and_then(|server| server.tools()) {
        Ok(tools) => {
            let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
            Finding::pass(
                "mcp server",
                format!("{} serves {} tools: {}", endpoint.shown, names.len(), names.join(", ")),
            )
        }
        Err(failure) => Finding::fail("mcp server", failure),
    }
}

/// The checks that talk to the environment.
fn remote(config: &Config, identifier: Option<&str>, storage: &Storage, findings: &mut Vec<Finding>) {
    let http = WasiClient;
    // The token it issues is kept for the checks after it, as any call keeps it.
    let token = ClientToken::new(config, storage.state_dir());
    let response = match token.request(&config.env_url).and_then(|request| http.send(request, None)) {
        Ok(response) => response,
        Err(t) => {
            findings.push(Finding::fail("network", ApiError::Transport(t).into()));
            for check in ["clock", "credentials", "connections", "accounts"] {
                findings.push(Finding::skipped(check, "needs the environment to answer"));
            }
            return;
        }
    };
    findings
        .push(Finding::pass("network", format!("{} answered (HTTP {})", config.env_url, response.status().as_u16())));
    findings.push(clock_check(&response));
    if let Err(refused) = token.accept(&response) {
        findings.push(Finding::fail("credentials", refused.into()));
        for check in ["connections", "accounts"] {
            findings.push(Finding::skipped(check, "needs credentials Scalekit accepts"));
        }
        return;
    }
    findings.push(Finding::pass("credentials", "Scalekit accepted the client credentials"));
    let sk = Scalekit::new(&http, config, storage.state_dir(), false);
    let all = match connections::all(&sk) {
        Ok((all, _)) => all,
        Err(e) => {
            findings.push(Finding::fail("connections", e.into()));
            findings.push(Finding::skipped("accounts", "needs the connections"));
            return;
        }
    };
    findings.push(connections_check(&all));
    findings.push(match identifier {
        None => Finding::skipped("accounts", "needs TOOL_IDENTIFIER"),
        Some(identifier) => match accounts::of_identifier(&sk, identifier) {
            Ok(listed) => accounts_check(&all, &listed, identifier),
            Err(e) => Finding::fail("accounts", e.into()),
        },
    });
}

/// The state or config folder: present, and a file can be written and removed in it.
fn folder(check: &'static str, dir: Option<&std::path::Path>) -> Finding {
    let Some(dir) = dir else {
        return Finding::warn(
            check,
            format!("no {check}: not run by the agent-auth runner"),
            "Run the component with the agent-auth runner, which provides its folders.",
        );
    };
    let probe = dir.join(format!(".doctor-{:016x}", crate::bindings::wasi::random::random::get_random_u64()));
    match std::fs::write(&probe, b"probe").and_then(|()| std::fs::remove_file(&probe)) {
        Ok(()) => Finding::pass(check, format!("{} is writable", dir.display())),
        Err(e) => Finding::fail(
            check,
            Failure::new(
                Code::FolderUnwritable,
                format!("cannot write in the {check} {}: {e}", dir.display()),
                "Make the folder writable by this user, or point AGENT_AUTH_STATE_DIR / AGENT_AUTH_CONFIG_DIR at one that is.",
            ),
        ),
    }
}

/// The runner's version against the component's, its compile cache, its proxies.
fn runner(facts: Option<String>) -> Finding {
    let component = env!("CARGO_PKG_VERSION");
    let Some(facts) = facts.and_then(|f| serde_json::from_str::<Value>(&f).ok()) else {
        return Finding::warn(
            "runner",
            format!("component {component}, run by another host than the agent-auth runner"),
            "Install the runner (see the README) to get its sandbox, caches and compile cache.",
        );
    };
    let version = facts["version"].as_str().unwrap_or("unknown");
    let proxies = match facts["proxies"].as_object().filter(|p| !p.is_empty()) {
        Some(p) => {
            let named: Vec<String> = p.iter().map(|(k, v)| format!("{k} {}", v.as_str().unwrap_or_default())).collect();
            format!("; proxies: {}", named.join(", "))
        }
        None => String::new(),
    };
    let mut detail = format!("runner {version}, component {component}{proxies}");
    let mut hints = Vec::new();
    if version != component {
        hints.push(
            "Use the component the runner was built with: unset AGENT_AUTH_COMPONENT, or reinstall both from one release.",
        );
    }
    let cache = &facts["compile_cache"];
    if cache["usable"] == Value::Bool(false) {
        let path = cache["path"].as_str().unwrap_or_default();
        let why = cache["why"].as_str().unwrap_or("it cannot be used");
        detail.push_str(&format!("; the compile cache {path} is not used ({why}), so every call compiles"));
        hints.push(
            "Make the compile cache a folder of your own that only you may write, or set AGENT_AUTH_CACHE_DIR to one.",
        );
    }
    if hints.is_empty() { Finding::pass("runner", detail) } else { Finding::warn("runner", detail, hints.join(" ")) }
}

/// Who may finish an authorization link, and whether the person's browser will reach the
/// verify route when it is the runner's.
fn user_verification(env: &[(String, String)]) -> Finding {
    const CHECK: &str = "user verification";
    let verification = match config::verification(env) {
        Err(invalid) => return Finding::fail(CHECK, invalid),
        Ok(verification) => verification,
    };
    let mode = verification.name();
    let Verification::Custom(url) = verification else {
        return Finding::pass(
            CHECK,
            format!(
                "{mode} (Scalekit users only): a link activates for whoever opens it signed in to the Scalekit dashboard; for other people set AGENT_AUTH_USER_VERIFICATION=custom, as the environment's AgentKit > User Verification says"
            ),
        );
    };
    let served = format!("{mode}: links send the person's browser to {}", url.as_str());
    let Some(route) = url.loopback() else {
        return Finding::pass(CHECK, format!("{served}, whose host finishes them with --verify-user"));
    };
    let facts: Value = config::var(env, RUNNER_FACTS).and_then(|f| serde_json::from_str(&f).ok()).unwrap_or_default();
    match serde_json::from_value::<RouteHolder>(facts["verify_route"]["holder"].clone()) {
        Ok(RouteHolder::Free) => Finding::pass(
            CHECK,
            format!("{served}, which the runner serves while --generate-link --wait (or agent-auth mcp) runs"),
        ),
        Ok(RouteHolder::AgentAuth) => {
            Finding::pass(CHECK, format!("{served}, which another agent-auth (an MCP server or a wait) serves now"))
        }
        Ok(RouteHolder::Other) => Finding::warn(
            CHECK,
            format!("{served}, but another program listens on port {}", route.port),
            "Stop that program, or set AGENT_AUTH_VERIFY_URL to a free loopback port (e.g. http://127.0.0.1:51854/agent-auth/verify).",
        ),
        Err(_) => Finding::warn(
            CHECK,
            format!("{served}, and this host serves no verify route"),
            "Run the component with the agent-auth runner, or mount the route in your host and finish each link with --verify-user.",
        ),
    }
}

/// This machine's clock against the server's `Date` header.
fn clock_check(response: &Response) -> Finding {
    let Some(server) = header(response, "date").and_then(http_date::parse) else {
        return Finding::skipped("clock", "the server sent no Date header");
    };
    let skew = clock::now() - server;
    if skew.abs() <= SKEW_QUIET {
        return Finding::pass("clock", format!("within {SKEW_QUIET} s of the server's"));
    }
    let side = if skew > 0 { "ahead of" } else { "behind" };
    let detail = format!("this machine's clock is {} {side} the server's", duration(skew.abs()));
    let hint =
        "Set the clock right (for example timedatectl set-ntp true): token and link expiries are read against it.";
    if skew.abs() <= SKEW_MAX {
        Finding::warn("clock", detail, hint)
    } else {
        Finding::fail("clock", Failure::new(Code::ClockSkew, detail, hint))
    }
}

/// Every connection exists and is COMPLETED.
fn connections_check(all: &[Connection]) -> Finding {
    if all.is_empty() {
        return Finding::fail(
            "connections",
            Failure::new(
                Code::ConnectionNotFound,
                "the environment has no connections",
                "Create one in the Scalekit dashboard (Agent Auth > Connections) for each provider agents should use.",
            ),
        );
    }
    let unfinished: Vec<&Connection> = all.iter().filter(|c| !c.is_completed()).collect();
    let names: Vec<&str> = all.iter().filter(|c| c.is_completed()).map(|c| c.key_id.as_str()).collect();
    let served = |c: &&Connection| all.iter().any(|o| o.is_completed() && o.provider_key == c.provider_key);
    if unfinished.iter().any(|c| !served(c)) {
        let without: Vec<&Connection> = unfinished.into_iter().filter(|c| !served(c)).collect();
        return Finding::fail("connections", not_completed(&without));
    }
    if !unfinished.is_empty() {
        let listed: Vec<String> = unfinished.iter().map(|c| format!("{} ({})", c.key_id, c.status)).collect();
        return Finding::warn(
            "connections",
            format!(
                "{} COMPLETED; unfinished, with a COMPLETED one for the same provider: {}",
                names.len(),
                listed.join(", ")
            ),
            "Finish or delete the unfinished connections in the Scalekit dashboard (Agent Auth > Connections).",
        );
    }
    Finding::pass("connections", format!("{} COMPLETED: {}", names.len(), names.join(", ")))
}

/// The user's accounts on COMPLETED connections are ACTIVE, none about to expire. A connection
/// without an account is fine: the first call for it makes one and asks the person.
fn accounts_check(all: &[Connection], listed: &[ListedAccount], identifier: &str) -> Finding {
    let theirs: Vec<(&Connection, &Account)> = all
        .iter()
        .filter(|c| c.is_completed())
        .filter_map(|c| Some((c, &listed.iter().find(|a| a.connector == c.key_id)?.account)))
        .collect();
    let inactive: Vec<&(&Connection, &Account)> = theirs.iter().filter(|(_, a)| !a.is_active()).collect();
    if let Some((first, _)) = inactive.first() {
        let named: Vec<String> = inactive.iter().map(|(c, a)| format!("{} ({})", c.key_id, a.status)).collect();
        let message = format!("{identifier}'s accounts are not ACTIVE: {}", named.join(", "));
        return Finding::fail(
            "accounts",
            if first.is_oauth() {
                Failure::new(
                    Code::AuthorizationRequired,
                    message,
                    "Run the command in next and show the person its link; the same for each account listed.",
                )
                .next(["agent-auth", "--generate-link", "--connection-name", first.key_id.as_str()])
                .action(ActionRequired {
                    kind: "authorize".into(),
                    message: format!("Authorize {} for {identifier}: run next for the link to open.", first.key_id),
                    link: None,
                    expires_at: None,
                    links: None,
                })
            } else {
                Failure::new(
                    Code::AuthorizationRequired,
                    message,
                    "Ask the person to enter their credentials for it in the Scalekit dashboard (Agent Auth > Connected accounts).",
                )
                .action(ActionRequired {
                    kind: "dashboard_account_setup".into(),
                    message: format!("Enter {identifier}'s credentials for {} in the Scalekit dashboard.", first.key_id),
                    link: None,
                    expires_at: None,
                    links: None,
                })
            },
        );
    }
    let soon = clock::now() + EXPIRY_SOON;
    let expiring: Vec<String> = theirs
        .iter()
        .filter(|(c, _)| !c.is_oauth())
        .filter_map(|(c, a)| {
            let at = a.token_expires_at.as_deref()?;
            (rfc3339::parse(at)? <= soon).then(|| format!("{} ({at})", c.key_id))
        })
        .collect();
    if !expiring.is_empty() {
        return Finding::warn(
            "accounts",
            format!("credentials expired or expiring within {} days: {}", EXPIRY_SOON / 86_400, expiring.join(", ")),
            "Ask the person to renew them in the Scalekit dashboard (Agent Auth > Connected accounts) before they lapse.",
        );
    }
    let names: Vec<&str> = theirs.iter().map(|(c, _)| c.key_id.as_str()).collect();
    Finding::pass(
        "accounts",
        match names.len() {
            0 => format!("{identifier} has no accounts yet: the first call for a connection asks the person"),
            _ => format!("{identifier}'s accounts are ACTIVE: {}", names.join(", ")),
        },
    )
}

/// The report: the first failure decides the code; warnings are repeated as warnings.
fn conclude(findings: Vec<Finding>) -> Result<Success, Failure> {
    let warnings: Vec<String> =
        findings.iter().filter(|f| f.status == Status::Warn).map(|f| format!("{}: {}", f.check, f.detail)).collect();
    let failed = findings.iter().filter(|f| f.status == Status::Fail).count();
    let Some(first) = findings.iter().find(|f| f.status == Status::Fail) else {
        let mut success = Success::default().with("checks", &findings);
        success.warnings = warnings;
        return Ok(success);
    };
    let message = match failed {
        1 => format!("{}: {}", first.check, first.detail),
        n => format!("{n} checks failed; the first, {}: {}", first.check, first.detail),
    };
    let mut failure =
        Failure::new(first.code.unwrap_or(Code::InternalError), message, first.hint.clone().unwrap_or_default());
    if let Some(next) = &first.next {
        failure = failure.with("next", next);
    }
    if let Some(action) = first.action.clone() {
        failure = failure.action(action);
    }
    Err(failure.with("checks", &findings).warn(warnings))
}

/// `3 h 12 min`, `2 days 4 h`, `45 s`.
fn duration(secs: i64) -> String {
    match secs {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        s => format!("{} days {} h", s / 86_400, s % 86_400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_read_at_a_glance() {
        assert_eq!(duration(45), "45 s");
        assert_eq!(duration(3 * 3600 + 12 * 60), "3 h 12 min");
        assert_eq!(duration(2 * 86_400 + 4 * 3600), "2 days 4 h");
    }
}
