//! What every call of one runner shares ([`Setup`]): the component, compiled once; the variables
//! it sees; where its HTTP goes and may go; its folders and limits. The CLI makes one call with
//! it, the MCP server one per tool call, the verify route one per person coming back. And what a
//! call printed, as the runner reports it ([`report`], [`printed`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use agent_auth_contract::call::Call;
use agent_auth_contract::operation::{Kind, Remote};
use agent_auth_contract::option::{AUTH_REQUEST_ID, STATE};
use agent_auth_contract::printed::Printed;
use agent_auth_contract::sizes::{COMMAND_LINE_MAX, INPUT_MAX, readable_size};
use agent_auth_contract::variables::{RUNNER_WARNINGS, VIRTUAL_ENV_URL};
use agent_auth_contract::verification::{ROUTE_VAR, Verified};
use bytes::Bytes;

use crate::command_line::Words;
use crate::compile;
use crate::component::{self, COMPONENT_VAR, Compiler};
use crate::credentials::Credentials;
use crate::error::{Code, RunnerError};
use crate::outbound::{Network, RealNetwork, Tls};
use crate::runtime::{Invocation, Outcome, Runtime, Stdio};
use crate::sandbox::proxy_policy::{ProxyGate, ProxyPolicy};
use crate::sandbox::sensitive::SensitivePaths;
use crate::sandbox::{self, Confinement, EgressPolicy, FileGrants, FileRules, Limits};
use crate::settings::Settings;
use crate::verify_route::{self, Finisher, Route, Verdict};

/// Extra time the wall-clock limit allows beyond `--wait SECONDS`.
pub const WAIT_MARGIN: Duration = Duration::from_secs(60);

/// `TOOL_ENV_URL=sandbox`: the component's variables and network for the virtual Scalekit, hosted
/// in-process.
#[cfg(feature = "virtual-scalekit")]
fn virtual_scalekit(env: Vec<(String, String)>) -> Result<(Vec<(String, String)>, Network), RunnerError> {
    use virtual_scalekit::{VirtualScalekit, in_process};
    Ok((in_process::env(env), Network::Intercepted(Arc::new(VirtualScalekit::new(in_process::URL, None)))))
}

/// `TOOL_ENV_URL=sandbox` in a runner built without the virtual Scalekit.
#[cfg(not(feature = "virtual-scalekit"))]
fn virtual_scalekit(_env: Vec<(String, String)>) -> Result<(Vec<(String, String)>, Network), RunnerError> {
    Err(RunnerError::new(
        Code::ConfigInvalid,
        format!("TOOL_ENV_URL={VIRTUAL_ENV_URL} needs the virtual Scalekit, which this agent-auth is built without"),
        "Point TOOL_ENV_URL at your Scalekit environment, or use a build with the default features.",
    ))
}

/// The working folder, which relative paths are read against.
pub fn working_folder() -> Result<PathBuf, RunnerError> {
    std::env::current_dir().map_err(|e| {
        RunnerError::new(
            Code::InternalError,
            format!("no current folder: {e}"),
            "Run agent-auth from an existing folder.",
        )
    })
}

/// What every call of one runner shares.
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
        let network = if sandbox::env::env_url(&env).is_some_and(|url| url.trim().eq_ignore_ascii_case(VIRTUAL_ENV_URL))
        {
            let (virtual_env, network) = virtual_scalekit(env)?;
            env = virtual_env;
            network
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

    /// The limits of a call of `words`: the runner's, with the wall clock stretched to a
    /// `--wait`'s seconds and a margin.
    pub fn limits_for(&self, words: &Words) -> Limits {
        let mut limits = self.limits.clone();
        if let Some(seconds) = words.wait() {
            limits.wall_clock = limits.wall_clock.max(Duration::from_secs(seconds).saturating_add(WAIT_MARGIN));
        }
        limits
    }

    /// Runs the component once with `words` (the files they name opened, checked and granted)
    /// under `limits`.
    pub async fn invoke(&self, words: &Words, limits: Limits, stdio: Stdio) -> Result<Outcome, RunnerError> {
        self.invoke_with(words, &[], limits, stdio).await
    }

    /// [`Setup::invoke`] with `extra` variables the runner chose for this call (e.g. the MCP
    /// client's requester; never the command line's); each replaces the variable of that name.
    pub async fn invoke_with(
        &self,
        words: &Words,
        extra: &[(String, String)],
        limits: Limits,
        stdio: Stdio,
    ) -> Result<Outcome, RunnerError> {
        let size: usize = words.argv().iter().map(String::len).sum();
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
        let (files, args) = FileGrants::open(words, &self.cwd, &rules)?;
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
        let marked = [(ROUTE_VAR.to_owned(), "1".to_owned())];
        match self.invoke_with(&Words::from(&call), &marked, self.limits.clone(), Stdio::Memory(Bytes::new())).await {
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
            None => no_verdict(),
        },
        (false, Some(e)) if e.code == Code::VerificationRefused => {
            Verdict::Refused { message: e.message.clone(), hint: e.hint.clone() }
        }
        (false, Some(e)) => Verdict::Failed { message: e.message.clone(), hint: e.hint.clone() },
        (false, None) => no_verdict(),
    }
}

/// A verification that printed no verdict.
fn no_verdict() -> Verdict {
    Verdict::Failed {
        message: "the verification printed no result".into(),
        hint: "Open the authorization link again; if it happens again, report it.".into(),
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
        // A result, but not one this runner reads: a component of another version prints codes or
        // shapes its contract does not have.
        None if serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&outcome.stdout).is_ok() => {
            Printed::failure(
                Code::InternalError,
                "the component printed a result this runner cannot read",
                format!("Run the component this runner was built with: unset {COMPONENT_VAR}, or use the .wasm of this release."),
            )
        }
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
