//! `wit/deps/` must stay identical to the WASI WIT shipped by the pinned wasmtime-wasi-http, so
//! the guest's bindings describe exactly what the host implements. Refresh with
//! `scripts/vendor-wit.sh`.

use std::path::Path;
use std::process::Command;

#[test]
fn vendored_wasi_wit_matches_wasmtime_wasi_http() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let output = Command::new("bash")
        .arg(root.join("scripts/vendor-wit.sh"))
        .arg("--check")
        .current_dir(root)
        .output()
        .expect("run scripts/vendor-wit.sh --check");
    assert!(
        output.status.success(),
        "wit/deps/ drifted from wasmtime-wasi-http; run scripts/vendor-wit.sh\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
