//! `agent-auth [RUNNER OPTIONS] OPERATION [OPTIONS]`: one operation of the component, run with
//! the credentials of the runner's environment or a `.env`, under the limits the call asks for,
//! serving the verify route while it waits for a person.

use std::path::Path;

use agent_auth_contract::exit::Exit;
use agent_auth_contract::variables::RUNNER_FACTS;
use agent_auth_contract::verification::SERVED_VAR;

use crate::command_line::{RunnerOptions, Version, Words};
use crate::compile_cache::CompileCache;
use crate::component::{self, COMPONENT_VAR};
use crate::credentials::Credentials;
use crate::error::RunnerError;
use crate::outbound::redacted;
use crate::runtime::Stdio;
use crate::settings::Settings;
use crate::setup::{self, Setup, report};
use crate::verify_route;

/// Runs one operation for real: the whole `agent-auth` program. Returns stdout and the exit code.
pub async fn run(runner: RunnerOptions, words: Words) -> (String, u8) {
    match try_run(runner, words).await {
        Ok((stdout, code)) => (stdout, code),
        Err(e) => (e.to_json(), e.exit().code()),
    }
}

async fn try_run(runner: RunnerOptions, words: Words) -> Result<(String, u8), RunnerError> {
    let settings = Settings::from_process();
    match words.version() {
        // The embedded component's answer (the same version), without starting it.
        Some(Version::Plain) if settings.component.is_none() => {
            return Ok((format!("agent-auth {}\n", env!("CARGO_PKG_VERSION")), Exit::Ok.code()));
        }
        Some(Version::Verbose) => return Ok((verbose_version(&settings)?, Exit::Ok.code())),
        _ => {}
    }
    let cwd = setup::working_folder()?;
    let credentials = Credentials::of_call(runner.env_file.as_deref(), &cwd)?;
    let mut setup = Setup::new(settings, credentials, runner.timeout.as_deref(), cwd)?;
    if words.doctor() {
        setup.env.push((RUNNER_FACTS.into(), doctor_facts(&setup.settings).await));
    }
    let limits = setup.limits_for(&words);
    // A call that waits for a person serves the verify route their browser comes back to, and
    // lets a verification already begun finish before it ends.
    let route = if words.wait().is_some() { setup.verify_route().await } else { None };
    let outcome = match route {
        Some(route) => {
            let served = [(SERVED_VAR.to_owned(), "1".to_owned())];
            let (done, stop) = tokio::sync::oneshot::channel::<()>();
            let invoked = async {
                let outcome = setup.invoke_with(&words, &served, limits, Stdio::Inherit).await;
                let _ = done.send(());
                outcome
            };
            let stopped = async {
                let _ = stop.await;
            };
            tokio::join!(invoked, route.serve(&setup, stopped)).0
        }
        None => setup.invoke(&words, limits, Stdio::Inherit).await,
    }?;
    setup.compile_in_background();
    Ok(report(outcome))
}

/// `--version --verbose`: the runner's version, and the SHA-256 of the component it runs (the
/// built-in one, whose digest the skill's `agent-auth.wasm.sha256` names, or the operator's,
/// checked against the checksum beside it) with where it comes from.
fn verbose_version(settings: &Settings) -> Result<String, RunnerError> {
    let wasm = component::chosen(settings.component.as_deref())?;
    let source = match &settings.component {
        Some(path) => format!("{COMPONENT_VAR}={}", path.display()),
        None => "built in".to_owned(),
    };
    Ok(format!("agent-auth {}\ncomponent sha256 {} ({source})\n", env!("CARGO_PKG_VERSION"), wasm.sha256()))
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
}
