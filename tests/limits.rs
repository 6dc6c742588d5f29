//! The sandbox's resource limits, through the library host: a component that needs more memory
//! than allowed is stopped and reported as MEMORY_LIMIT, never as a crash trace.

use std::sync::Arc;

use agent_auth_host::outbound::{Interceptor, Network, canned};
use agent_auth_host::runtime::{Invocation, Runtime, Stdio, Stopped};
use agent_auth_host::sandbox::{EgressPolicy, FileGrants, Limits};
use agent_auth_host::setup::report;
use bytes::Bytes;
use wasmtime_wasi_http::Error as HttpError;

/// Answers every request with a body far larger than the memory cap.
struct Flood;

impl Interceptor for Flood {
    fn intercept(&self, _request: http::Request<Bytes>) -> Result<http::Response<Bytes>, HttpError> {
        canned(200, [("content-type", "application/json")], vec![b' '; 48 << 20])
    }
}

#[test]
fn a_component_over_its_memory_cap_is_stopped_and_reported() {
    let cache = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("component-cache");
    let runtime = Runtime::new(&agent_auth_host::component::Wasm::embedded(), Some(&cache)).unwrap();
    let limits = Limits { memory_bytes: 16 << 20, ..Limits::default() };
    let env: Vec<(String, String)> = [
        ("TOOL_CLIENT_ID", "skc_1"),
        ("TOOL_CLIENT_SECRET", "s3cr3t-value"),
        ("TOOL_ENV_URL", "https://acme.scalekit.cloud"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let invocation = Invocation {
        args: vec!["--list-connections".into()],
        env,
        egress: EgressPolicy::for_server_urls(["https://acme.scalekit.cloud"]),
        network: Network::Intercepted(Arc::new(Flood)),
        files: FileGrants::default(),
        agent_dirs: None,
        limits,
        proxy_gate: None,
        stdio: Stdio::Memory(Bytes::new()),
    };
    let outcome = tokio::runtime::Runtime::new().unwrap().block_on(runtime.run(invocation)).unwrap();
    assert_eq!(
        outcome.stopped,
        Some(Stopped::MemoryLimit(16 << 20)),
        "stderr: {}",
        String::from_utf8_lossy(&outcome.stderr)
    );
    let (stdout, code) = report(outcome);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((code, json["error"]["code"].as_str()), (1, Some("MEMORY_LIMIT")), "{stdout}");
}
