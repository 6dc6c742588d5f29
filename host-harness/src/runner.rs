//! The `agent-auth` command: runner options, `.env` loading, and the sandboxed invocation.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;
use serde_json::json;

use crate::component;
use crate::outbound::{Network, ProxySettings, RealNetwork};
use crate::runtime::{Invocation, Outcome, Runtime, Stdio, Stopped};
use crate::sandbox::{self, EgressPolicy, FileGrants, Limits};

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
    fn new(code: &'static str, exit: u8, message: impl Into<String>, hint: impl Into<String>) -> Self {
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
            RunnerError::new("USAGE", 2, format!("{flag} needs a value"), format!("Pass {flag} VALUE before the operation."))
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

fn lookup(vars: &[(String, String)], name: &str) -> Option<String> {
    vars.iter().find(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| v.clone())
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
    let cwd = std::env::current_dir()
        .map_err(|e| RunnerError::new("INTERNAL_ERROR", 1, format!("no current folder: {e}"), "Run agent-auth from an existing folder."))?;
    let vars = load_variables(opts.env_file.as_deref(), &cwd)?;
    let mut limits = Limits::default();
    if let Some(raw) = opts.timeout.clone().or_else(|| lookup(&vars, "AGENT_AUTH_TIMEOUT")) {
        let secs: u64 = raw.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
            RunnerError::new("USAGE", 2, format!("--timeout {raw} is not a whole number of seconds"), "Pass --timeout SECONDS, e.g. --timeout 300.")
        })?;
        limits.wall_clock = Duration::from_secs(secs);
    }
    let component_path = opts.component.clone().or_else(|| lookup(&vars, "AGENT_AUTH_COMPONENT").map(PathBuf::from));
    let wasm = match &component_path {
        Some(path) => std::fs::read(path).map_err(|e| {
            RunnerError::new(
                "COMPONENT_UNREADABLE",
                3,
                format!("cannot read the component {}: {e}", path.display()),
                "Pass the path of an agent-auth .wasm to --component (or AGENT_AUTH_COMPONENT), or drop it to use the built-in one.",
            )
        })?,
        None => component::EMBEDDED.to_vec(),
    };
    let internal = |what: &str, e: anyhow::Error| RunnerError::new("INTERNAL_ERROR", 1, format!("{what}: {e:#}"), "Report this with the command you ran.");
    let cache = component::cache_dir(lookup(&vars, "AGENT_AUTH_CACHE_DIR").map(PathBuf::from));
    let runtime = Runtime::new(&wasm, cache.as_deref()).map_err(|e| {
        RunnerError::new(
            "COMPONENT_INVALID",
            3,
            format!("the component cannot run here: {e:#}"),
            "Use a component built for this agent-auth version, or drop --component.",
        )
    })?;
    let env = sandbox::env::component_env(|name| lookup(&vars, name));
    let egress = sandbox::env::env_url(&env).map(EgressPolicy::for_env_url).unwrap_or_else(EgressPolicy::deny_all);
    let ca_bundle = lookup(&vars, "SSL_CERT_FILE").map(PathBuf::from);
    let proxies = ProxySettings::from_vars(|name| lookup(&vars, name));
    let network = RealNetwork::new(&limits, &proxies, ca_bundle.as_deref()).map_err(|e| {
        RunnerError::new("CONFIG_INVALID", 3, format!("{e:#}"), "Fix SSL_CERT_FILE (a readable PEM bundle) or the proxy variables, or unset them.")
    })?;
    let (files, args) = FileGrants::from_args(&opts.rest, &cwd);
    let outcome = runtime
        .run(Invocation { args, env, egress, network: Network::Real(network), files, limits, stdio: Stdio::Inherit })
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
        Stopped::Trap(what) => RunnerError::new("INTERNAL_ERROR", 1, format!("the component crashed: {what}"), "Report this with the command you ran."),
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
    fn dotenv_never_overrides_the_process_environment() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".env"), "PATH=from-dotenv\nAGENT_AUTH_TEST_ONLY_VAR=1\n").unwrap();
        let vars = load_variables(None, dir.path()).unwrap();
        assert_ne!(lookup(&vars, "PATH").as_deref(), Some("from-dotenv"));
        assert_eq!(lookup(&vars, "AGENT_AUTH_TEST_ONLY_VAR").as_deref(), Some("1"));
    }
}
