//! `agent-auth compile`: the optimised compilation of the component, made into the compile cache.
//! Run it by hand to spare a machine's first call its compile (at install time, in an image), or
//! let the runner start it in the background after a call that found no optimised compilation.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use agent_auth_contract::exit::Exit;
use serde_json::json;

use crate::compile_cache::CompileCache;
use crate::component::{self, COMPONENT_VAR, Compiler, OptimiseError, Wasm};
use crate::error::{Code, RunnerError};
use crate::settings::{CACHE_DIR_VAR, Settings};

/// After this long a claim on a background compile is taken for a crashed one's, and dropped.
const CLAIM_STALE: Duration = Duration::from_secs(120);

/// The file a background compile of `wasm` holds while it runs, so that calls made meanwhile
/// (sixteen at once, say) start one between them.
fn claim(wasm: &Wasm, cache_dir: &Path) -> PathBuf {
    cache_dir.join(format!("{}.compiling", wasm.sha256()))
}

/// Claims the background compile of `wasm`; false when a live one holds it.
fn stake(claim: &Path) -> bool {
    let create = || std::fs::OpenOptions::new().write(true).create_new(true).open(claim).is_ok();
    if create() {
        return true;
    }
    let age = std::fs::metadata(claim).and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
    if age.is_some_and(|age| age > CLAIM_STALE) {
        let _ = std::fs::remove_file(claim);
        return create();
    }
    false
}

/// Starts `agent-auth compile` for `component` (the embedded one when `None`) in the background,
/// unless a call made meanwhile already did. It gets no variable but the cache folder and the
/// component's path (so it holds no secret), no stdin, stdout or stderr (so whoever waits for this call's output does not wait
/// for it) and a process group of its own. Any failure only leaves the first-call compilation in use.
pub fn in_background(component: Option<&Path>, wasm: &Wasm, cache_dir: &Path) {
    use std::os::unix::process::CommandExt;
    let (Ok(exe), claim) = (std::env::current_exe(), claim(wasm, cache_dir)) else { return };
    if std::fs::create_dir_all(cache_dir).is_err() || !stake(&claim) {
        return;
    }
    let mut cmd = Command::new(exe);
    cmd.arg("compile").env_clear().env(CACHE_DIR_VAR, cache_dir);
    if let Some(path) = component {
        cmd.env(COMPONENT_VAR, std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()));
    }
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).process_group(0);
    if cmd.spawn().is_err() {
        let _ = std::fs::remove_file(&claim);
    }
}

/// `agent-auth compile`: the JSON printed and the exit code.
pub fn main() -> (String, u8) {
    match compile() {
        Ok(path) => {
            let value = json!({"ok": true, "compiler": Compiler::Optimising.name(), "cache_file": path});
            (format!("{}\n", serde_json::to_string_pretty(&value).unwrap_or_default()), Exit::Ok.code())
        }
        Err(e) => (e.to_json(), e.exit().code()),
    }
}

fn compile() -> Result<PathBuf, RunnerError> {
    let settings = Settings::from_process();
    let wasm = component::chosen(settings.component.as_deref())?;
    let dir = settings.cache_dir.ok_or_else(|| {
        RunnerError::new(
            Code::ConfigMissing,
            "no cache folder: HOME is not set",
            format!("Set {CACHE_DIR_VAR} to the folder for compiled components."),
        )
    })?;
    let cache = CompileCache::open(&dir).map_err(|why| {
        RunnerError::new(
            Code::ConfigInvalid,
            format!("the compile cache {} is not used: {why}", dir.display()),
            format!("Make {CACHE_DIR_VAR} a folder of your own that only you may write."),
        )
    })?;
    let compiled = component::optimise(&wasm, &cache);
    let _ = std::fs::remove_file(claim(&wasm, &dir)); // done, either way: a later call may try again
    compiled.map_err(|e| match e {
        OptimiseError::Compile(e) => RunnerError::new(
            Code::ComponentInvalid,
            format!("the component does not compile here: {e:#}"),
            format!("Use a component built for this agent-auth version, or unset {COMPONENT_VAR}."),
        ),
        OptimiseError::Store(e) => RunnerError::new(
            Code::ConfigInvalid,
            format!("cannot write the compilation into {}: {e:#}", dir.display()),
            format!("Make {CACHE_DIR_VAR} a folder you can write."),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_call_claims_the_background_compile_until_the_claim_goes_stale() {
        let dir = tempfile::tempdir().unwrap();
        let claim = claim(&Wasm::embedded(), dir.path());
        assert!(stake(&claim));
        assert!(!stake(&claim), "a call made meanwhile starts none");
        let long_ago = std::time::SystemTime::now() - CLAIM_STALE - Duration::from_secs(1);
        std::fs::File::options().write(true).open(&claim).unwrap().set_modified(long_ago).unwrap();
        assert!(stake(&claim), "a crashed compile's claim is taken over");
        assert!(!stake(&claim));
    }
}
