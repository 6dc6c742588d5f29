//! The component run in-process, as the suites that drive it directly share it: one compiled
//! runtime (cached under the target folder) and one tokio runtime for the whole test binary.

use std::path::Path;
use std::sync::OnceLock;

use agent_auth_host::runtime::Runtime;

/// The embedded component, compiled once per test binary.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("component-cache");
        Runtime::new(&agent_auth_host::component::Wasm::embedded(), Some(&cache)).expect("the component loads")
    })
}

/// The tokio runtime invocations run on.
pub fn tokio() -> &'static tokio::runtime::Runtime {
    static TOKIO: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    TOKIO.get_or_init(|| tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap())
}
