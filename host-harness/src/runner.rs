//! The `agent-auth` command: runner options, `.env` loading, and the sandboxed invocation.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use agent_auth_contract::exit::Exit;
use agent_auth_contract::option::{COMPONENT, ENV_FILE, RUNNER_OPTIONS, Value, WAIT};
use agent_auth_contract::variables::RUNNER_FACTS;

use crate::compile;
use crate::component::{self, Compiler};
use crate::error::{Code, RunnerError};
use crate::outbound::{Network, ProxySettings, RealNetwork, Tls, redacted};
use crate::runtime::{Invocation, Outcome, Runtime, Stdio};
use crate::sandbox::proxy_policy::{self, ProxyPolicy};
use crate::sandbox::sensitive::{self, SensitivePaths};
use crate::sandbox::{self, AgentDirs, EgressPolicy, FileGrants, Limits};
use crate::virtual_scalekit::{VirtualScalekit, in_process};

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

/// Splits the runner's options from the component's arguments.
pub fn split_options(args: Vec<String>) -> Result<RunnerOptions, RunnerError> {
    let mut opts = RunnerOptions::default();
    let mut iter = args.into_iter();
    while let Some(arg) = iter.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let Some(option) = RUNNER_OPTIONS.iter().find(|o| flag.strip_prefix("--") == Some(o.flag)) else {
            opts.rest.push(arg);
            continue;
        };
        let value = inline.or_else(|| iter.next()).ok_or_else(|| {
            RunnerError::new(
                Code::Usage,
                format!("{flag} needs a value"),
                format!("Pass {flag} {} before the operation.", option.example),
            )
        })?;
        if *option == &COMPONENT {
            opts.component = Some(PathBuf::from(value));
        } else if *option == &ENV_FILE {
            opts.env_file = Some(PathBuf::from(value));
        } else {
            opts.timeout = Some(value);
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
            Code::EnvFileUnreadable,
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

/// Extra time the wall-clock limit allows beyond `--wait SECONDS`.
pub const WAIT_MARGIN: Duration = Duration::from_secs(60);

/// The seconds of `--wait [SECONDS]`, when given (its default without a number), to stretch the
/// wall-clock limit: a lenient reading of the arguments; the component itself checks them.
fn wait_seconds(args: &[String]) -> Option<u64> {
    let Value::OptionalSeconds(default) = WAIT.value else { return None };
    let flag = format!("--{}", WAIT.flag);
    let at =
        args.iter().position(|a| *a == flag || a.strip_prefix(flag.as_str()).is_some_and(|r| r.starts_with('=')))?;
    let inline = args[at].split_once('=').map(|(_, v)| v.to_owned());
    let value = inline.or_else(|| args.get(at + 1).filter(|v| !v.starts_with("--")).cloned());
    Some(value.and_then(|v| v.parse().ok()).unwrap_or(default))
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

/// The component named by `--component` or `AGENT_AUTH_COMPONENT`, if any (else the embedded one).
pub fn component_path(opts: &RunnerOptions, vars: &[(String, String)]) -> Option<PathBuf> {
    opts.component.clone().or_else(|| lookup(vars, "AGENT_AUTH_COMPONENT").map(PathBuf::from)).map(expand_home)
}

/// The component at `path` (its checksum checked), or the embedded one.
pub fn read_component(path: Option<&Path>) -> Result<component::Wasm, RunnerError> {
    let Some(path) = path else { return Ok(component::Wasm::embedded()) };
    component::read(path).map_err(|e| match e {
        component::ReadError::Unreadable(unreadable, e) => RunnerError::new(
            Code::ComponentUnreadable,
            format!("cannot read {}: {e}", unreadable.display()),
            if unreadable == path {
                "Pass the path of an agent-auth .wasm to --component (or AGENT_AUTH_COMPONENT), or drop it to use the built-in one."
            } else {
                "The checksum beside the component cannot be read: reinstall the skill (or rebuild it with scripts/build-skill.sh)."
            },
        ),
        component::ReadError::ChecksumMismatch { expected, actual } => RunnerError::new(
            Code::ComponentChecksumMismatch,
            format!("{} has SHA-256 {actual}, but {}.sha256 says {expected}", path.display(), path.display()),
            "The file was changed or damaged: reinstall the skill (or rebuild it with scripts/build-skill.sh); never edit the checksum to match.",
        ),
    })
}

/// The compile cache folder (`AGENT_AUTH_CACHE_DIR`, else the user's cache folder + `agent-auth`).
pub fn cache_dir(vars: &[(String, String)]) -> Option<PathBuf> {
    component::cache_dir(lookup(vars, "AGENT_AUTH_CACHE_DIR").map(PathBuf::from))
}

/// What only the runner knows, for `--doctor`: its version, the compile cache folder and whether
/// it is writable, and the proxy variables it honours (without any credentials in them).
fn doctor_facts(vars: &[(String, String)], cache: Option<&Path>) -> String {
    let proxies = ProxySettings::from_vars(|name| lookup(vars, name));
    let named: serde_json::Map<String, serde_json::Value> =
        [("https", &proxies.https), ("http", &proxies.http), ("no_proxy", &proxies.no_proxy)]
            .into_iter()
            .filter_map(|(name, url)| Some((name.to_owned(), redacted(url.as_deref()?).into())))
            .collect();
    let writable = |dir: &Path| {
        let probe = dir.join(format!(".doctor-{}", std::process::id()));
        std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&probe, b""))
            .and_then(|()| std::fs::remove_file(&probe))
            .is_ok()
    };
    let cache = cache.map(|dir| serde_json::json!({"path": dir, "writable": writable(dir)}));
    serde_json::json!({"version": env!("CARGO_PKG_VERSION"), "compile_cache": cache, "proxies": named}).to_string()
}

/// The working folder, which relative paths are read against.
pub fn current_dir() -> Result<PathBuf, RunnerError> {
    std::env::current_dir().map_err(|e| {
        RunnerError::new(
            Code::InternalError,
            format!("no current folder: {e}"),
            "Run agent-auth from an existing folder.",
        )
    })
}

/// Runs one command line for real: the whole `agent-auth` program. Returns stdout and the exit code.
pub async fn run(args: Vec<String>) -> (String, u8) {
    match try_run(args).await {
        Ok((stdout, code)) => (stdout, code),
        Err(e) => (e.to_json(), e.exit().code()),
    }
}

async fn try_run(args: Vec<String>) -> Result<(String, u8), RunnerError> {
    let opts = split_options(args)?;
    let cwd = current_dir()?;
    let vars = load_variables(opts.env_file.as_deref(), &cwd)?;
    if component_path(&opts, &vars).is_none()
        && matches!(opts.rest.as_slice(), [flag] if flag == "--version" || flag == "-V")
    {
        // The embedded component's answer (the same version), without starting it.
        return Ok((format!("agent-auth {}\n", env!("CARGO_PKG_VERSION")), Exit::Ok.code()));
    }
    let mut setup = Setup::new(&opts, vars, cwd)?;
    if opts.rest.iter().any(|arg| arg == "--doctor") {
        setup.env.push((RUNNER_FACTS.into(), doctor_facts(&setup.vars, setup.cache.as_deref())));
    }
    let mut limits = setup.limits.clone();
    if let Some(seconds) = wait_seconds(&opts.rest) {
        limits.wall_clock = limits.wall_clock.max(Duration::from_secs(seconds).saturating_add(WAIT_MARGIN));
    }
    let outcome = setup.invoke(&opts.rest, limits, Stdio::Inherit).await?;
    setup.compile_in_background();
    Ok(report(outcome))
}

/// What every call of one runner shares: the component, compiled once; the variables it sees;
/// where its HTTP goes and may go; its folders and limits. The CLI makes one call with it, the
/// MCP server one per tool call.
pub struct Setup {
    /// The component, ready to instantiate.
    pub runtime: Runtime,
    /// The process environment and `.env`.
    pub vars: Vec<(String, String)>,
    /// What the component sees of them.
    pub env: Vec<(String, String)>,
    /// Where its HTTP goes.
    pub network: Network,
    /// Which origins it may reach.
    pub egress: EgressPolicy,
    /// Memory, time and network limits of one call.
    pub limits: Limits,
    /// The working folder, which relative paths are read against.
    pub cwd: PathBuf,
    /// agent-auth's config and state folders.
    pub agent_dirs: Option<AgentDirs>,
    /// The compile cache.
    pub cache: Option<PathBuf>,
    /// What no call reads or writes.
    sensitive: SensitivePaths,
    /// What the proxy may send, when the operator says.
    proxy_policy: Option<ProxyPolicy>,
    component_path: Option<PathBuf>,
    wasm: component::Wasm,
}

impl Setup {
    /// Reads the component (checked against its checksum), compiles it (or loads it from the
    /// cache), and decides the network from `vars`.
    pub fn new(opts: &RunnerOptions, vars: Vec<(String, String)>, cwd: PathBuf) -> Result<Setup, RunnerError> {
        let mut limits = Limits::default();
        if let Some(raw) = opts.timeout.clone().or_else(|| lookup(&vars, "AGENT_AUTH_TIMEOUT")) {
            let secs: u64 = raw.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                RunnerError::new(
                    Code::Usage,
                    format!("--timeout {raw} is not a whole number of seconds"),
                    "Pass --timeout SECONDS, e.g. --timeout 300.",
                )
            })?;
            limits.wall_clock = Duration::from_secs(secs);
        }
        let component_path = component_path(opts, &vars);
        let wasm = read_component(component_path.as_deref())?;
        let cache = cache_dir(&vars);
        let runtime = Runtime::new(&wasm, cache.as_deref()).map_err(|e| {
            RunnerError::new(
                Code::ComponentInvalid,
                format!("the component cannot run here: {e:#}"),
                "Use a component built for this agent-auth version, or drop --component.",
            )
        })?;
        let mut env = sandbox::env::component_env(|name| lookup(&vars, name));
        let network = if sandbox::env::env_url(&env).is_some_and(|url| url.trim().eq_ignore_ascii_case("sandbox")) {
            env = in_process::env(env);
            Network::Intercepted(Arc::new(VirtualScalekit::new(in_process::URL, None)))
        } else {
            let ca_bundle = lookup(&vars, "SSL_CERT_FILE").map(PathBuf::from);
            let proxies = ProxySettings::from_vars(|name| lookup(&vars, name));
            let https =
                sandbox::env::server_urls(&env).iter().any(|url| url.to_ascii_lowercase().starts_with("https:"));
            let tls = if https || proxies.any_https() {
                Tls::Verified { extra_ca_bundle: ca_bundle.as_deref() }
            } else {
                Tls::Off
            };
            Network::Real(RealNetwork::new(&limits, &proxies, tls).map_err(|e| {
                RunnerError::new(
                    Code::ConfigInvalid,
                    format!("{e:#}"),
                    "Fix SSL_CERT_FILE (a readable PEM bundle) or the proxy variables, or unset them.",
                )
            })?)
        };
        let egress = EgressPolicy::for_server_urls(sandbox::env::server_urls(&env).iter().map(String::as_str));
        let agent_dirs = AgentDirs::resolve(|name| lookup(&vars, name));
        let own: Vec<&Path> =
            agent_dirs.iter().flat_map(|d| [d.config.as_path(), d.state.as_path()]).chain(cache.as_deref()).collect();
        // The operator's word only: the process environment, never `.env`.
        let allow = std::env::var(sensitive::ALLOW_VAR).ok();
        let sensitive = SensitivePaths::new(dirs::home_dir().as_deref(), &own, allow.as_deref());
        let proxy_policy = std::env::var_os(proxy_policy::POLICY_VAR).map(|path| ProxyPolicy::load(Path::new(&path)));
        Ok(Setup {
            runtime,
            vars,
            env,
            network,
            egress,
            limits,
            cwd,
            agent_dirs,
            cache,
            sensitive,
            proxy_policy,
            component_path,
            wasm,
        })
    }

    /// Runs the component once with `args` (the files they name granted) under `limits`.
    pub async fn invoke(&self, args: &[String], limits: Limits, stdio: Stdio) -> Result<Outcome, RunnerError> {
        let (files, args) = FileGrants::from_args(args, &self.cwd);
        self.sensitive.check(&files)?;
        if let Some(policy) = &self.proxy_policy {
            policy.check(&args)?;
        }
        let invocation = Invocation {
            args,
            env: self.env.clone(),
            egress: self.egress.clone(),
            network: self.network.clone(),
            files,
            agent_dirs: self.agent_dirs.clone(),
            limits,
            stdio,
        };
        self.runtime.run(invocation).await.map_err(|e| {
            RunnerError::new(
                Code::InternalError,
                format!("the sandbox could not be prepared: {e:#}"),
                "Report this with the command you ran.",
            )
        })
    }

    /// Starts the optimised compilation in the background when this run had to use the fast
    /// baseline one, so that the next process starts on optimised code.
    pub fn compile_in_background(&self) {
        if self.runtime.compiler() != Compiler::Optimising
            && let Some(dir) = &self.cache
        {
            compile::in_background(self.component_path.as_deref(), &self.wasm, dir);
        }
    }
}

/// The component's stdout, or the runner's own JSON when the host had to stop the component
/// before it printed its result.
pub fn report(outcome: Outcome) -> (String, u8) {
    let stdout = String::from_utf8_lossy(&outcome.stdout).into_owned();
    match outcome.stopped {
        Some(stopped) if !stdout.trim_start().starts_with('{') => {
            let err = stopped.error();
            (err.to_json(), err.exit().code())
        }
        _ => (stdout, outcome.exit_code),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doctor_sees_proxies_without_their_credentials() {
        assert_eq!(redacted("http://user:pa%40ss@proxy:3128/x"), "http://proxy:3128/x");
        assert_eq!(redacted("http://proxy:3128"), "http://proxy:3128");
        assert_eq!(redacted("http://proxy/a@b"), "http://proxy/a@b");
        for unparsable in ["user:secret@proxy:3128", "http://user:se/cret@proxy:3128"] {
            assert_eq!(redacted(unparsable), "(set, but not a URL)", "{unparsable}");
        }
        let vars = vec![("HTTPS_PROXY".to_owned(), "http://me:secret@proxy:3128".to_owned())];
        let facts: serde_json::Value = serde_json::from_str(&doctor_facts(&vars, None)).unwrap();
        assert_eq!(facts["proxies"], serde_json::json!({"https": "http://proxy:3128"}));
        assert_eq!(facts["version"], env!("CARGO_PKG_VERSION"));
    }

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
    fn dotenv_never_overrides_the_process_environment() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".env"), "PATH=from-dotenv\nAGENT_AUTH_TEST_ONLY_VAR=1\n").unwrap();
        let vars = load_variables(None, dir.path()).unwrap();
        assert_ne!(lookup(&vars, "PATH").as_deref(), Some("from-dotenv"));
        assert_eq!(lookup(&vars, "AGENT_AUTH_TEST_ONLY_VAR").as_deref(), Some("1"));
    }
}
