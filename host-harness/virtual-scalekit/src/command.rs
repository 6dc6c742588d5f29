//! `agent-auth sandbox`: serves the virtual Scalekit on loopback for other programs (and the
//! end-to-end tests). The first line on stdout is `LISTENING http://127.0.0.1:PORT`.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use agent_auth_contract::code::Code;
use agent_auth_contract::printed::{Printed, Problem};

use crate::faults::Faults;
use crate::server;
use crate::{Credentials, VirtualScalekit};

const USAGE: &str = "\
Usage: agent-auth sandbox [--port N] [--client-id ID --client-secret SECRET] [--link-ttl SECONDS]
                         [--user-verification custom|scalekit] [--faults FILE]

Serves the virtual Scalekit on http://127.0.0.1:PORT until interrupted (port 0 picks a free one).
It accepts any non-empty client credentials unless --client-id and --client-secret are given.
Authorization links open a page with an Authorize button; --link-ttl sets how long they work
(default 600 s). --user-verification custom acts as an environment in \"Custom user
verification\": after consent the browser goes to the link's user_verify_url (a link without one
fails with failed_to_exchange) and the account stays PENDING_VERIFICATION until the app's
POST /api/v1/connected_accounts/user/verify. --faults FILE injects the faults a JSON file lists (a 503, a reset connection, a
truncated or stalled body, ...): [{\"request\": \"GET /api/v1/connections/app\", \"times\": 1,
\"fault\": {\"kind\": \"status\", \"status\": 503}}]; the README lists the kinds.";

/// Sandbox options.
#[derive(Debug, Default, PartialEq)]
struct Options {
    port: u16,
    credentials: Option<(String, String)>,
    link_ttl: Option<Duration>,
    custom_verification: bool,
    faults: Option<String>,
}

fn usage(message: String) -> Problem {
    problem(Code::Usage, message, "Run agent-auth sandbox --help.")
}

fn problem(code: Code, message: impl Into<String>, hint: impl Into<String>) -> Problem {
    Problem { code, message: message.into(), hint: hint.into() }
}

/// Prints why the sandbox does not serve, as every agent-auth failure is printed, and returns its
/// exit code.
fn refuse(problem: Problem) -> ExitCode {
    let code = problem.code;
    println!(
        "{}",
        serde_json::to_string_pretty(&Printed::failure(code, problem.message, problem.hint)).unwrap_or_default()
    );
    ExitCode::from(code.exit().code())
}

fn parse(args: &[String]) -> Result<Option<Options>, Problem> {
    let mut opts = Options::default();
    let (mut id, mut secret) = (None, None);
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == "--help" || arg == "-h" {
            return Ok(None);
        }
        let mut value = || iter.next().cloned().ok_or_else(|| usage(format!("{arg} needs a value")));
        match arg.as_str() {
            "--port" => {
                opts.port = value()?.parse().map_err(|_| usage("--port takes a number from 0 to 65535".into()))?
            }
            "--client-id" => id = Some(value()?),
            "--client-secret" => secret = Some(value()?),
            "--link-ttl" => {
                let secs: u64 = value()?.parse().map_err(|_| usage("--link-ttl takes a number of seconds".into()))?;
                opts.link_ttl = Some(Duration::from_secs(secs));
            }
            "--faults" => opts.faults = Some(value()?),
            "--user-verification" => {
                opts.custom_verification = match value()?.as_str() {
                    "custom" => true,
                    "scalekit" => false,
                    _ => return Err(usage("--user-verification takes custom or scalekit".into())),
                }
            }
            other => return Err(usage(format!("unexpected argument {other}"))),
        }
    }
    opts.credentials = match (id, secret) {
        (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => Some((id, secret)),
        (None, None) => None,
        _ => return Err(usage("--client-id and --client-secret go together (both non-empty)".into())),
    };
    Ok(Some(opts))
}

/// Runs `agent-auth sandbox ARGS`: serves until interrupted; returns for `--help` and on errors.
pub fn main(args: &[String]) -> ExitCode {
    let opts = match parse(args) {
        Ok(Some(opts)) => opts,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => return refuse(e),
    };
    let faults = match opts.faults.as_deref().map(read_faults).transpose() {
        Ok(faults) => faults.unwrap_or_default(),
        Err(e) => return refuse(e),
    };
    let credentials =
        opts.credentials.clone().map(|(client_id, client_secret)| Credentials { client_id, client_secret });
    let spawned = server::spawn(&format!("127.0.0.1:{}", opts.port), |url| {
        let mut double = VirtualScalekit::new(url, credentials).with_faults(faults);
        if let Some(ttl) = opts.link_ttl {
            double = double.with_link_lifetime(ttl);
        }
        if opts.custom_verification {
            double = double.with_custom_verification();
        }
        double
    });
    let (_double, loopback) = match spawned {
        Ok(served) => served,
        Err(e) => {
            return refuse(problem(
                Code::PortUnavailable,
                format!("cannot listen on 127.0.0.1:{}: {e}", opts.port),
                "Pick another --port, or 0 for a free one.",
            ));
        }
    };
    println!("LISTENING {}", loopback.url());
    let _ = std::io::stdout().flush();
    let accepted =
        if opts.credentials.is_some() { "the given client credentials" } else { "any non-empty client credentials" };
    eprintln!("agent-auth sandbox: set TOOL_ENV_URL={} ({accepted}); Ctrl-C stops it.", loopback.url());
    loop {
        std::thread::park();
    }
}

/// The faults file at `path`.
fn read_faults(path: &str) -> Result<Faults, Problem> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        problem(
            Code::ConfigInvalid,
            format!("cannot read --faults {path}: {e}"),
            "Pass the path of a JSON file of fault rules.",
        )
    })?;
    Faults::parse(&text).map_err(|why| {
        problem(
            Code::ConfigInvalid,
            format!("--faults {path} is not a list of fault rules: {why}"),
            "Each rule is {\"request\": \"METHOD /path\", \"times\": N, \"fault\": {\"kind\": ...}}; agent-auth sandbox --help shows one.",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_parse_and_credentials_go_together() {
        let opts = parse(&args(&["--port", "0", "--client-id", "skc_1", "--client-secret", "s", "--link-ttl", "5"]))
            .unwrap()
            .unwrap();
        assert_eq!(opts.credentials, Some(("skc_1".into(), "s".into())));
        assert_eq!(opts.link_ttl, Some(Duration::from_secs(5)));
        assert!(parse(&args(&["--client-id", "skc_1"])).is_err());
        assert!(parse(&args(&["--port", "http"])).is_err());
        assert!(parse(&args(&["--help"])).unwrap().is_none());
        assert_eq!(parse(&args(&["--faults", "f.json"])).unwrap().unwrap().faults.as_deref(), Some("f.json"));
        assert!(parse(&args(&["--faults"])).is_err());
        assert!(parse(&args(&["--user-verification", "custom"])).unwrap().unwrap().custom_verification);
        assert!(parse(&args(&["--user-verification", "yes"])).is_err());
    }
}
