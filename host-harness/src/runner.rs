//! The `agent-auth` command: the runner's options, the credentials, and the sandboxed invocation.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use agent_auth_contract::call::Call;
use agent_auth_contract::exit::Exit;
use agent_auth_contract::operation::{Kind, Remote};
use agent_auth_contract::option::{AUTH_REQUEST_ID, STATE};
use agent_auth_contract::option::{ENV_FILE, RUNNER_OPTIONS, Value, WAIT};
use agent_auth_contract::printed::Printed;
use agent_auth_contract::sizes::{COMMAND_LINE_MAX, INPUT_MAX, readable_size};
use agent_auth_contract::variables::{RUNNER_FACTS, RUNNER_WARNINGS};
use agent_auth_contract::verification::{ROUTE_VAR, SERVED_VAR, Verified};
use bytes::Bytes;

use crate::compile;
use crate::compile_cache::CompileCache;
use crate::component::{self, COMPONENT_VAR, Compiler};
use crate::credentials::Credentials;
use crate::env_file::EnvFile;
use crate::error::{Code, RunnerError};
use crate::outbound::{Network, RealNetwork, Tls, redacted};
use crate::runtime::{Invocation, Outcome, Runtime, Stdio};
use crate::sandbox::proxy_policy::{ProxyGate, ProxyPolicy};
use crate::sandbox::sensitive::SensitivePaths;
use crate::sandbox::{self, Confinement, EgressPolicy, FileGrants, FileRules, Limits};
use crate::settings::Settings;
use crate::verify_route::{self, Finisher, Route, Verdict};
use crate::virtual_scalekit::{VirtualScalekit, in_process};

/// Options the runner consumes before the operation; everything else goes to the component.
#[derive(Debug, Default, PartialEq)]
pub struct RunnerOptions {
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
        if flag == "--component" {
            // Code is the operator's choice, never a flag's: the agent types the command line.
            return Err(RunnerError::new(
                Code::Usage,
                "--component is not taken: which component runs is the operator's choice",
                format!(
                    "Drop --component; the runner's own component runs (an operator may set {COMPONENT_VAR} in the runner's environment)."
                ),
            ));
        }
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
        if *option == &ENV_FILE {
            opts.env_file = Some(PathBuf::from(value));
        } else {
            opts.timeout = Some(value);
        }
    }
    Ok(opts)
}

/// The `.env` to read: `--env-file`'s (which must be there), else the working folder's, if any.
pub fn env_file(opts: &RunnerOptions, cwd: &Path) -> Result<Option<EnvFile>, RunnerError> {
    let (path, required) = match &opts.env_file {
        Some(p) => (cwd.join(p), true),
        None => (cwd.join(".env"), false),
    };
    let unreadable = |why: String| {
        RunnerError::new(
            Code::EnvFileUnreadable,
            format!("cannot use {} as a .env: {why}", path.display()),
            "Fix the file (KEY=value lines) or pass another with --env-file.",
        )
    };
    match EnvFile::read(&path) {
        Ok(None) if required => Err(unreadable("it does not exist".into())),
        Ok(found) => Ok(found),
        Err(e) => Err(unreadable(e.to_string())),
    }
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

/// What only the runner knows, for `--doctor`: its version, the compile cache folder and whether
/// it is used (and why not), the proxy variables it honours (without any credentials in them),
/// and who holds the verify route's port.
async fn doctor_facts(settings: &Settings) -> String {
    let proxies = &settings.proxies;
    let named: serde_json::Map<String, serde_json::Value> =
        [("https", &proxies.https), ("http", &proxies.http), ("no_proxy", &proxies.no_proxy)]
            .into_iter()
            .filter_map(|(name, url)| Some((name.to_owned(), redacted(url.as_deref()?).into())))
            .collect();
    let usable = |dir: &Path| match CompileCache::open(dir).map(|cache| cache.probe()) {
        Ok(Ok(())) => serde_json::json!({"path": dir, "usable": true}),
        Ok(Err(e)) => {
            serde_json::json!({"path": dir, "usable": false, "why": format!("it cannot be written ({})", e.kind())})
        }
        Err(why) => serde_json::json!({"path": dir, "usable": false, "why": why.to_string()}),
    };
    let cache = settings.cache_dir.as_deref().map(usable);
    let mut facts = serde_json::json!({"version": env!("CARGO_PKG_VERSION"), "compile_cache": cache, "proxies": named});
    if let Some(route) = &settings.verify_route {
        facts["verify_route"] = serde_json::json!({"port": route.port, "holder": verify_route::holder(route).await});
    }
    facts.to_string()
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
    let settings = Settings::from_process();
    if settings.component.is_none() && matches!(opts.rest.as_slice(), [flag] if flag == "--version" || flag == "-V") {
        // The embedded component's answer (the same version), without starting it.
        return Ok((format!("agent-auth {}\n", env!("CARGO_PKG_VERSION")), Exit::Ok.code()));
    }
    let cwd = current_dir()?;
    let credentials = credentials(&opts, &cwd)?;
    let mut setup = Setup::new(settings, credentials, opts.timeout.as_deref(), cwd)?;
    if opts.rest.iter().any(|arg| arg == "--doctor") {
        setup.env.push((RUNNER_FACTS.into(), doctor_facts(&setup.settings).await));
    }
    let mut limits = setup.limits.clone();
    let wait = wait_seconds(&opts.rest);
    if let Some(seconds) = wait {
        limits.wall_clock = limits.wall_clock.max(Duration::from_secs(seconds).saturating_add(WAIT_MARGIN));
    }
    // A call that waits for a person serves the verify route their browser comes back to, and
    // lets a verification already begun finish before it ends.
    let route = if wait.is_some() { setup.verify_route().await } else { None };
    let outcome = match route {
        Some(route) => {
            let served = [(SERVED_VAR.to_owned(), "1".to_owned())];
            let (done, stop) = tokio::sync::oneshot::channel::<()>();
            let invoked = async {
                let outcome = setup.invoke_with(&opts.rest, &served, limits, Stdio::Inherit).await;
                let _ = done.send(());
                outcome
            };
            let stopped = async {
                let _ = stop.await;
            };
            tokio::join!(invoked, route.serve(&setup, stopped)).0
        }
        None => setup.invoke(&opts.rest, limits, Stdio::Inherit).await,
    }?;
    setup.compile_in_background();
    Ok(report(outcome))
}

/// The credentials of one call: from the runner's environment, or from the `.env` (or
/// `--env-file`), never a mix.
pub fn credentials(opts: &RunnerOptions, cwd: &Path) -> Result<Credentials, RunnerError> {
    Credentials::gather(|name| std::env::var(name).ok(), env_file(opts, cwd)?.as_ref())
}

/// What every call of one runner shares: the component, compiled once; the variables it sees;
/// where its HTTP goes and may go; its folders and limits. The CLI makes one call with it, the
/// MCP server one per tool call.
pub struct Setup {
    /// The component, ready to instantiate.
    pub runtime: Runtime,
    /// The operator's settings.
    pub settings: Settings,
    /// The variables the component sees: the credentials, the identifier and the settings it is
    /// passed.
    pub env: Vec<(String, String)>,
    /// What the runner ignored or chose on the way, which the component lists first.
    pub warnings: Vec<String>,
    /// Where its HTTP goes.
    pub network: Network,
    /// Which origins it may reach.
    pub egress: EgressPolicy,
    /// Memory, time and network limits of one call.
    pub limits: Limits,
    /// The working folder, which relative paths are read against.
    pub cwd: PathBuf,
    /// What no call reads or writes.
    sensitive: SensitivePaths,
    /// The only folders named files may be in, when confined (`agent-auth mcp --files`).
    pub confinement: Option<Confinement>,
    /// What the proxy may send, when the operator says.
    proxy_policy: Option<Arc<ProxyPolicy>>,
    wasm: component::Wasm,
}

impl Setup {
    /// Reads the component the operator chose (checked against its checksum), compiles it (or
    /// loads it from the cache), and decides the network from the credentials and the settings.
    /// `timeout` is `--timeout`'s value, which wins over the operator's default.
    pub fn new(
        settings: Settings,
        credentials: Credentials,
        timeout: Option<&str>,
        cwd: PathBuf,
    ) -> Result<Setup, RunnerError> {
        let mut limits = Limits::default();
        if let Some(raw) = timeout.or(settings.timeout.as_deref()) {
            let secs: u64 = raw.trim().parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                RunnerError::new(
                    Code::Usage,
                    format!("--timeout {raw} is not a whole number of seconds"),
                    "Pass --timeout SECONDS, e.g. --timeout 300.",
                )
            })?;
            limits.wall_clock = Duration::from_secs(secs);
        }
        let wasm = component::chosen(settings.component.as_deref())?;
        let runtime = Runtime::new(&wasm, settings.cache_dir.as_deref()).map_err(|_| {
            RunnerError::new(
                Code::ComponentInvalid,
                "the component cannot run here: it is not a component this runner can load",
                format!("Use a component built for this agent-auth version, or unset {COMPONENT_VAR}."),
            )
        })?;
        let mut env = credentials.vars;
        env.extend(settings.passed.iter().cloned());
        let network = if sandbox::env::env_url(&env).is_some_and(|url| url.trim().eq_ignore_ascii_case("sandbox")) {
            env = in_process::env(env);
            Network::Intercepted(Arc::new(VirtualScalekit::new(in_process::URL, None)))
        } else {
            let https =
                sandbox::env::server_urls(&env).iter().any(|url| url.to_ascii_lowercase().starts_with("https:"));
            let tls = if https || settings.proxies.any_https() {
                Tls::Verified { extra_ca_bundle: settings.ca_bundle.as_deref() }
            } else {
                Tls::Off
            };
            Network::Real(RealNetwork::new(&limits, &settings.proxies, tls).map_err(|e| {
                RunnerError::new(
                    Code::ConfigInvalid,
                    format!("{e:#}"),
                    "Fix SSL_CERT_FILE (a readable PEM bundle) or the proxy variables, or unset them.",
                )
            })?)
        };
        let egress = EgressPolicy::for_server_urls(sandbox::env::server_urls(&env).iter().map(String::as_str));
        // The runner's own folders exist from here on, so that they are refused by identity.
        if let Some(dirs) = &settings.agent_dirs {
            dirs.ensure().map_err(|e| {
                RunnerError::new(
                    Code::FolderUnwritable,
                    format!(
                        "cannot create agent-auth's folders {} and {} ({})",
                        dirs.config.display(),
                        dirs.state.display(),
                        e.kind()
                    ),
                    "Set AGENT_AUTH_CONFIG_DIR and AGENT_AUTH_STATE_DIR to folders you can write.",
                )
            })?;
        }
        let own: Vec<&Path> = settings
            .agent_dirs
            .iter()
            .flat_map(|d| [d.config.as_path(), d.state.as_path()])
            .chain(settings.cache_dir.as_deref())
            .collect();
        let sensitive = SensitivePaths::new(settings.home.as_deref(), &own, settings.allow_files.as_deref())
            .with_runner(settings.runner_files(), settings.program_folders.clone());
        let proxy_policy = settings.proxy_policy.as_deref().map(|path| Arc::new(ProxyPolicy::load(path)));
        Ok(Setup {
            runtime,
            settings,
            env,
            warnings: credentials.warnings,
            network,
            egress,
            limits,
            cwd,
            sensitive,
            confinement: None,
            proxy_policy,
            wasm,
        })
    }

    /// Runs the component once with `args` (the files they name opened, checked and granted)
    /// under `limits`.
    pub async fn invoke(&self, args: &[String], limits: Limits, stdio: Stdio) -> Result<Outcome, RunnerError> {
        self.invoke_with(args, &[], limits, stdio).await
    }

    /// [`Setup::invoke`] with `extra` variables the runner chose for this call (e.g. the MCP
    /// client's requester; never the command line's); each replaces the variable of that name.
    pub async fn invoke_with(
        &self,
        args: &[String],
        extra: &[(String, String)],
        limits: Limits,
        stdio: Stdio,
    ) -> Result<Outcome, RunnerError> {
        let size: usize = args.iter().map(String::len).sum();
        if size > COMMAND_LINE_MAX {
            return Err(RunnerError::new(
                Code::Usage,
                format!("the arguments hold {}, more than agent-auth holds in memory", readable_size(size as u64)),
                format!(
                    "Pass at most {} of arguments (a tool input of at most {}); send large content as a file with --proxy-request --input-file.",
                    readable_size(COMMAND_LINE_MAX as u64),
                    readable_size(INPUT_MAX)
                ),
            ));
        }
        let places = self.sensitive.places();
        let rules = FileRules { places: &places, confinement: self.confinement.as_ref() };
        let (files, args) = FileGrants::open(args, &self.cwd, &rules)?;
        let env_url = sandbox::env::env_url(&self.env).unwrap_or_default();
        let proxy_gate = self.proxy_policy.as_ref().and_then(|policy| ProxyGate::new(policy.clone(), &env_url));
        let invocation = Invocation {
            args,
            env: self
                .env
                .iter()
                .filter(|(name, _)| !extra.iter().any(|(replaced, _)| replaced == name))
                .chain(extra)
                .cloned()
                .chain(self.warnings_var())
                .collect(),
            egress: self.egress.clone(),
            network: self.network.clone(),
            files,
            agent_dirs: self.settings.agent_dirs.clone(),
            limits,
            proxy_gate,
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

    /// Binds the verify route the settings name, if any; when its port is taken, says so among
    /// the runner's warnings (the agent-auth holding it, an MCP server or another wait, finishes
    /// the links of its own state folder and person).
    pub async fn verify_route(&mut self) -> Option<Route> {
        let route = self.settings.verify_route.clone()?;
        match Route::bind(&route).await {
            Ok(bound) => Some(bound),
            Err(e) => {
                self.warnings.push(format!(
                    "the verify route's port {} cannot be listened on ({}): unless another agent-auth serves it, the person's browser finds nothing there after approving",
                    route.port,
                    e.kind()
                ));
                None
            }
        }
    }

    /// [`RUNNER_WARNINGS`] for the component, when there are any.
    fn warnings_var(&self) -> Option<(String, String)> {
        (!self.warnings.is_empty()).then(|| (RUNNER_WARNINGS.to_owned(), serde_json::json!(self.warnings).to_string()))
    }

    /// Starts the optimised compilation in the background when this run had to use the fast
    /// baseline one, so that the next process starts on optimised code.
    pub fn compile_in_background(&self) {
        if self.runtime.compiler() != Compiler::Optimising
            && let Some(dir) = &self.settings.cache_dir
        {
            compile::in_background(self.settings.component.as_deref(), &self.wasm, dir);
        }
    }
}

impl Finisher for Setup {
    /// Runs the component's `--verify-user` for the callback, marked as the loopback route's.
    async fn finish(&self, auth_request_id: &str, state: &str) -> Verdict {
        let call =
            Call::new(Kind::Remote(Remote::VerifyUser)).with(&AUTH_REQUEST_ID, auth_request_id).with(&STATE, state);
        let argv = call.argv();
        let marked = [(ROUTE_VAR.to_owned(), "1".to_owned())];
        match self.invoke_with(&argv, &marked, self.limits.clone(), Stdio::Memory(Bytes::new())).await {
            Ok(outcome) => verdict(printed(outcome)),
            Err(e) => verdict(e.printed()),
        }
    }

    fn may_send_to(&self, url: &str) -> bool {
        verify_route::onward(url, &sandbox::env::env_url(&self.env).unwrap_or_default())
    }
}

/// What `--verify-user` printed, as the route's verdict.
fn verdict(printed: Printed) -> Verdict {
    let verified = || serde_json::from_value::<Verified>(serde_json::Value::Object(printed.fields.clone())).ok();
    match (printed.ok, &printed.error) {
        (true, _) => match verified() {
            Some(v) => {
                Verdict::Verified { connection: v.connection_name, identifier: v.identifier, next: v.redirect_url }
            }
            None => Verdict::Failed {
                message: "the verification printed no result".into(),
                hint: "Open the authorization link again; if it happens again, report it.".into(),
            },
        },
        (false, Some(e)) if e.code == Code::VerificationRefused => {
            Verdict::Refused { message: e.message.clone(), hint: e.hint.clone() }
        }
        (false, Some(e)) => Verdict::Failed { message: e.message.clone(), hint: e.hint.clone() },
        (false, None) => Verdict::Failed {
            message: "the verification printed no result".into(),
            hint: "Open the authorization link again; if it happens again, report it.".into(),
        },
    }
}

/// What a run printed, typed, as [`report`] chooses it: the runner's failure when it overrides
/// the component's result, else the component's object; when it printed none, why the runner
/// stopped it, or an `INTERNAL_ERROR`.
pub fn printed(outcome: Outcome) -> Printed {
    if let Some(failure) = outcome.overridden {
        return failure.printed();
    }
    Printed::read(&outcome.stdout).unwrap_or_else(|| match outcome.stopped {
        Some(stopped) => stopped.error().printed(),
        None => Printed::failure(
            Code::InternalError,
            "the component printed no result",
            "Report this with the call you made.",
        ),
    })
}

/// The component's stdout, or the runner's own JSON when its failure overrides the component's
/// result (a request the proxy policy refused, an output not moved into place), or when the host
/// had to stop the component before it printed its result.
pub fn report(outcome: Outcome) -> (String, u8) {
    if let Some(failure) = outcome.overridden {
        return (failure.to_json(), failure.exit().code());
    }
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
        let get = |name: &str| (name == "HTTPS_PROXY").then(|| "http://me:secret@proxy:3128".to_owned());
        let facts = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(doctor_facts(&Settings::from_vars(get, None)));
        let facts: serde_json::Value = serde_json::from_str(&facts).unwrap();
        assert_eq!(facts["proxies"], serde_json::json!({"https": "http://proxy:3128"}));
        assert_eq!(facts["version"], env!("CARGO_PKG_VERSION"));
    }

    #[test]
    fn runner_options_are_split_from_the_operation() {
        let args = ["--env-file", "x.env", "--list-connections", "--timeout=5", "--provider", "notion"];
        let opts = split_options(args.iter().map(|s| s.to_string()).collect()).unwrap();
        assert_eq!(opts.env_file, Some(PathBuf::from("x.env")));
        assert_eq!(opts.timeout.as_deref(), Some("5"));
        assert_eq!(opts.rest, vec!["--list-connections", "--provider", "notion"]);
    }

    #[test]
    fn no_flag_chooses_the_code() {
        for args in [vec!["--component", "evil.wasm", "--list-connections"], vec!["--component=evil.wasm"]] {
            let err = split_options(args.iter().map(|s| s.to_string()).collect()).unwrap_err();
            assert_eq!(err.code, Code::Usage);
            assert!(err.hint.contains(COMPONENT_VAR), "{}", err.hint);
        }
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
    fn a_missing_env_file_is_an_error_only_when_named() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(env_file(&RunnerOptions::default(), dir.path()).unwrap(), None);
        let named = RunnerOptions { env_file: Some(PathBuf::from("gone.env")), ..Default::default() };
        assert_eq!(env_file(&named, dir.path()).unwrap_err().code, Code::EnvFileUnreadable);
    }
}
