//! The `agent-auth` command: runner options, `.env` loading, and the sandboxed invocation.

use std::path::{Path, PathBuf};
use std::time::Duration;

use std::sync::Arc;

use anyhow::Result;
use serde_json::json;

use crate::component;
use crate::outbound::{Network, ProxySettings, RealNetwork};
use crate::runtime::{Invocation, Outcome, Runtime, Stdio, Stopped};
use crate::sandbox::{self, AgentDirs, EgressPolicy, FileGrants, Limits};
use crate::virtual_scalekit::VirtualScalekit;

/// Options the runner consumes before the operation; everything else goes to the component.
#[derive(Debug, Default, PartialEq)]
pub struct RunnerOptions {
    /// `--component PATH`
    pub component: Option<PathBuf>,
    /// `--env-file PATH`
    pub env_file: Option<PathBuf>,
    /// `--timeout SECONDS`
    pub timeout: Option<String>,
    /// The component's arguments.
    pub rest: Vec<String>,
}

/// A failure of the runner itself, reported in the component's JSON shape.
#[derive(Debug)]
pub struct RunnerError {
    /// Stable code.
    pub code: &'static str,
    /// What went wrong.
    pub message: String,
    /// What to do.
    pub hint: String,
    /// Exit code.
    pub exit: u8,
}

impl RunnerError {
    pub(crate) fn new(code: &'static str, exit: u8, message: impl Into<String>, hint: impl Into<String>) -> Self {
        RunnerError { code, exit, message: message.into(), hint: hint.into() }
    }

    /// The JSON object printed on stdout.
    pub fn to_json(&self) -> String {
        let value = json!({
            "ok": false,
            "error": {"code": self.code, "message": self.message, "hint": self.hint},
            "warnings": [],
        });
        serde_json::to_string_pretty(&value).unwrap_or_default()
    }
}

/// Splits the runner's options from the component's arguments.
pub fn split_options(args: Vec<String>) -> Result<RunnerOptions, RunnerError> {
    let mut opts = RunnerOptions::default();
    let mut iter = args.into_iter();
    while let Some(arg) = iter.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let slot = match flag.as_str() {
            "--component" => 0,
            "--env-file" => 1,
            "--timeout" => 2,
            _ => {
                opts.rest.push(arg);
                continue;
            }
        };
        let value = inline.or_else(|| iter.next()).ok_or_else(|| {
            RunnerError::new(
                "USAGE",
                2,
                format!("{flag} needs a value"),
                format!("Pass {flag} VALUE before the operation."),
            )
        })?;
        match slot {
            0 => opts.component = Some(PathBuf::from(value)),
            1 => opts.env_file = Some(PathBuf::from(value)),
            _ => opts.timeout = Some(value),
        }
    }
    Ok(opts)
}

/// The process environment plus `.env` (or `--env-file`), which never overrides what is already set.
pub fn load_variables(env_file: Option<&Path>, cwd: &Path) -> Result<Vec<(String, String)>, RunnerError> {
    let mut vars: Vec<(String, String)> = std::env::vars().collect();
    let (path, required) = match env_file {
        Some(p) => (p.to_path_buf(), true),
        None => (cwd.join(".env"), false),
    };
    if !path.exists() && !required {
        return Ok(vars);
    }
    let unreadable = |e: String| {
        RunnerError::new(
            "ENV_FILE_UNREADABLE",
            3,
            format!("cannot read {}: {e}", path.display()),
            "Fix the file (KEY=value lines) or pass another with --env-file.",
        )
    };
    for item in dotenvy::from_path_iter(&path).map_err(|e| unreadable(e.to_string()))? {
        let (key, value) = item.map_err(|e| unreadable(e.to_string()))?;
        if !vars.iter().any(|(k, _)| *k == key) {
            vars.push((key, value));
        }
    }
    Ok(vars)
}

/// Where the built-in virtual environment answers, for `TOOL_ENV_URL=sandbox` and the demo. The
/// `.invalid` name never resolves: requests to it are answered in-process, never sent.
pub const IN_PROCESS_URL: &str = "https://sandbox.agent-auth.invalid";

/// Extra time the wall-clock limit allows beyond `--wait SECONDS`.
const WAIT_MARGIN: Duration = Duration::from_secs(60);

/// The component's environment for the in-process virtual environment: its URL, and sandbox
/// credentials where none are set (it accepts any).
pub fn in_process_env(env: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = env.into_iter().filter(|(k, _)| !k.ends_with("_ENV_URL")).collect();
    env.push(("TOOL_ENV_URL".into(), IN_PROCESS_URL.into()));
    for (name, value) in [("TOOL_CLIENT_ID", "skc_sandbox"), ("TOOL_CLIENT_SECRET", "sandbox-client-secret")] {
        let fallback = name.replace("TOOL_", "SCALEKIT_");
        if !env.iter().any(|(k, v)| (*k == name || *k == fallback) && !v.is_empty()) {
            env.push((name.into(), value.into()));
        }
    }
    env
}

/// The seconds of `--wait [SECONDS]`, when given (300 without a number).
fn wait_seconds(args: &[String]) -> Option<u64> {
    let at = args.iter().position(|a| a == "--wait" || a.starts_with("--wait="))?;
    let inline = args[at].strip_prefix("--wait=").map(str::to_owned);
    let value = inline.or_else(|| args.get(at + 1).filter(|v| !v.starts_with("--")).cloned());
    Some(value.and_then(|v| v.parse().ok()).unwrap_or(300))
}

fn lookup(vars: &[(String, String)], name: &str) -> Option<String> {
    vars.iter().find(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| v.clone())
}

/// `~/x` as `$HOME/x`. OpenClaw shows skill folders as `~/...`, so an agent may write
/// `--component "~/.openclaw/.../agent-auth.wasm"`, which the shell does not expand in quotes.
fn expand_home(path: PathBuf) -> PathBuf {
    match (path.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) if !home.is_empty() => PathBuf::from(home).join(rest),
        _ => path,
    }
}

/// Runs one command line for real: the whole `agent-auth` program. Returns stdout and the exit code.
pub async fn run(args: Vec<String>) -> (String, u8) {
    match try_run(args).await {
        Ok((stdout, code)) => (stdout, code),
        Err(e) => (e.to_json(), e.exit),
    }
}

async fn try_run(args: Vec<String>) -> Result<(String, u8), RunnerError> {
    let opts = split_options(args)?;
    let cwd = std::env::current_dir().map_err(|e| {
        RunnerError::new(
            "INTERNAL_ERROR",
            1,
            format!("no current folder: {e}"),
            "Run agent-auth from an existing folder.",
        )
    })?;
    let vars = load_variables(opts.env_file.as_deref(), &cwd)?;
    let mut limits = Limits::default();
    if let Some(raw) = opts.timeout.clone().or_else(|| lookup(&vars, "AGENT_AUTH_TIMEOUT")) {
        let secs: u64 = raw.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
            RunnerError::new(
                "USAGE",
                2,
                format!("--timeout {raw} is not a whole number of seconds"),
                "Pass --timeout SECONDS, e.g. --timeout 300.",
            )
        })?;
        limits.wall_clock = Duration::from_secs(secs);
    }
    let component_path =
        opts.component.clone().or_else(|| lookup(&vars, "AGENT_AUTH_COMPONENT").map(PathBuf::from)).map(expand_home);
    let wasm = match &component_path {
        Some(path) => component::read(path).map_err(|e| match e {
            component::ReadError::Unreadable(unreadable, e) => RunnerError::new(
                "COMPONENT_UNREADABLE",
                3,
                format!("cannot read {}: {e}", unreadable.display()),
                if &unreadable == path {
                    "Pass the path of an agent-auth .wasm to --component (or AGENT_AUTH_COMPONENT), or drop it to use the built-in one."
                } else {
                    "The checksum beside the component cannot be read: reinstall the skill (or rebuild it with scripts/build-skill.sh)."
                },
            ),
            component::ReadError::ChecksumMismatch { expected, actual } => RunnerError::new(
                "COMPONENT_CHECKSUM_MISMATCH",
                3,
                format!("{} has SHA-256 {actual}, but {}.sha256 says {expected}", path.display(), path.display()),
                "The file was changed or damaged: reinstall the skill (or rebuild it with scripts/build-skill.sh); never edit the checksum to match.",
            ),
        })?,
        None => component::EMBEDDED.to_vec(),
    };
    let internal = |what: &str, e: anyhow::Error| {
        RunnerError::new("INTERNAL_ERROR", 1, format!("{what}: {e:#}"), "Report this with the command you ran.")
    };
    let cache = component::cache_dir(lookup(&vars, "AGENT_AUTH_CACHE_DIR").map(PathBuf::from));
    let runtime = Runtime::new(&wasm, cache.as_deref()).map_err(|e| {
        RunnerError::new(
            "COMPONENT_INVALID",
            3,
            format!("the component cannot run here: {e:#}"),
            "Use a component built for this agent-auth version, or drop --component.",
        )
    })?;
    let mut env = sandbox::env::component_env(|name| lookup(&vars, name));
    let network = if sandbox::env::env_url(&env).is_some_and(|url| url.trim().eq_ignore_ascii_case("sandbox")) {
        env = in_process_env(env);
        Network::Intercepted(Arc::new(VirtualScalekit::new(IN_PROCESS_URL, None)))
    } else {
        let ca_bundle = lookup(&vars, "SSL_CERT_FILE").map(PathBuf::from);
        let proxies = ProxySettings::from_vars(|name| lookup(&vars, name));
        Network::Real(RealNetwork::new(&limits, &proxies, ca_bundle.as_deref()).map_err(|e| {
            RunnerError::new(
                "CONFIG_INVALID",
                3,
                format!("{e:#}"),
                "Fix SSL_CERT_FILE (a readable PEM bundle) or the proxy variables, or unset them.",
            )
        })?)
    };
    let egress = sandbox::env::env_url(&env).map(EgressPolicy::for_env_url).unwrap_or_else(EgressPolicy::deny_all);
    if let Some(seconds) = wait_seconds(&opts.rest) {
        limits.wall_clock = limits.wall_clock.max(Duration::from_secs(seconds) + WAIT_MARGIN);
    }
    let (files, args) = FileGrants::from_args(&opts.rest, &cwd);
    let agent_dirs = AgentDirs::resolve(|name| lookup(&vars, name));
    let outcome = runtime
        .run(Invocation { args, env, egress, network, files, agent_dirs, limits, stdio: Stdio::Inherit })
        .await
        .map_err(|e| internal("the sandbox could not be prepared", e))?;
    Ok(report(outcome))
}

/// The component's stdout, or the runner's own JSON when the host had to stop the component
/// before it printed its result.
pub fn report(outcome: Outcome) -> (String, u8) {
    let stdout = String::from_utf8_lossy(&outcome.stdout).into_owned();
    let Some(stopped) = outcome.stopped else { return (stdout, outcome.exit_code) };
    if stdout.trim_start().starts_with('{') {
        return (stdout, outcome.exit_code);
    }
    let err = match stopped {
        Stopped::Timeout(limit) => RunnerError::new(
            "TIMEOUT",
            7,
            format!("the call did not finish within {} s", limit.as_secs()),
            "Retry later, or allow more time with --timeout SECONDS; a write may or may not have happened.",
        ),
        Stopped::MemoryLimit(bytes) => RunnerError::new(
            "MEMORY_LIMIT",
            1,
            format!("the component needed more than {} MiB of memory", bytes >> 20),
            "Use --output-file for large responses, or a smaller --input-file.",
        ),
        Stopped::Trap(what) => RunnerError::new(
            "INTERNAL_ERROR",
            1,
            format!("the component crashed: {what}"),
            "Report this with the command you ran.",
        ),
    };
    (err.to_json(), err.exit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runner_options_are_split_from_the_operation() {
        let args = ["--component", "x.wasm", "--list-connections", "--timeout=5", "--provider", "notion"];
        let opts = split_options(args.iter().map(|s| s.to_string()).collect()).unwrap();
        assert_eq!(opts.component, Some(PathBuf::from("x.wasm")));
        assert_eq!(opts.timeout.as_deref(), Some("5"));
        assert_eq!(opts.rest, vec!["--list-connections", "--provider", "notion"]);
    }

    #[test]
    fn wait_stretches_to_its_seconds() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(wait_seconds(&args(&["--generate-link", "--wait", "45"])), Some(45));
        assert_eq!(wait_seconds(&args(&["--generate-link", "--wait", "--connection-name", "x"])), Some(300));
        assert_eq!(wait_seconds(&args(&["--wait=9"])), Some(9));
        assert_eq!(wait_seconds(&args(&["--generate-link"])), None);
    }

    #[test]
    fn the_in_process_environment_needs_no_credentials_but_keeps_given_ones() {
        let env = in_process_env(vec![
            ("TOOL_ENV_URL".into(), "sandbox".into()),
            ("TOOL_CLIENT_ID".into(), "skc_mine".into()),
        ]);
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("TOOL_ENV_URL"), Some(IN_PROCESS_URL));
        assert_eq!(get("TOOL_CLIENT_ID"), Some("skc_mine"));
        assert_eq!(get("TOOL_CLIENT_SECRET"), Some("sandbox-client-secret"));
    }

    #[test]
    fn dotenv_never_overrides_the_process_environment() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".env"), "PATH=from-dotenv\nAGENT_AUTH_TEST_ONLY_VAR=1\n").unwrap();
        let vars = load_variables(None, dir.path()).unwrap();
        assert_ne!(lookup(&vars, "PATH").as_deref(), Some("from-dotenv"));
        assert_eq!(lookup(&vars, "AGENT_AUTH_TEST_ONLY_VAR").as_deref(), Some("1"));
    }
}
