//! Builds the guest component (`plugin/`, wasm32-wasip2, profile `guest`) so that a plain
//! `cargo build --release` yields an `agent-auth` runner carrying it. Adds the wasm32-wasip2
//! target through rustup when it is missing (a fresh machine needs no manual step).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

use sha2::Digest;

const TARGET: &str = "wasm32-wasip2";

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir.parent().expect("host-harness sits in the workspace").to_path_buf();
    for watched in ["plugin", "wit", "Cargo.lock", "Cargo.toml"] {
        println!("cargo::rerun-if-changed={}", root.join(watched).display());
    }
    ensure_target();
    let target_dir =
        env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target")).join("component");
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&root)
        .args([
            "build",
            "--package",
            "agent-auth-plugin",
            "--lib",
            "--target",
            TARGET,
            "--profile",
            "guest",
            "--target-dir",
        ])
        .arg(&target_dir)
        // Host flags, and a lint driver (cargo clippy), must not reach the component's build.
        .env_remove("RUSTFLAGS")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CLIPPY_ARGS")
        // Same bytes from any checkout and any CARGO_HOME: skill/agent-auth.wasm must match.
        .env("CARGO_ENCODED_RUSTFLAGS", reproducible_rustflags(&root))
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .expect("failed to run cargo for the guest component");
    assert!(status.success(), "building the guest component (plugin/) for {TARGET} failed; see the errors above");
    let built = target_dir.join(TARGET).join("guest").join("agent_auth_plugin.wasm");
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("agent-auth.wasm");
    fs::copy(&built, &out).unwrap_or_else(|e| panic!("cannot copy {}: {e}", built.display()));
    println!("cargo::rustc-env=AGENT_AUTH_COMPONENT_WASM={}", out.display());
    // Its digest names its compiled form in the cache; computed here, not on every call.
    let wasm = fs::read(&out).unwrap_or_else(|e| panic!("cannot read {}: {e}", out.display()));
    let digest: String = sha2::Sha256::digest(&wasm).iter().map(|b| format!("{b:02x}")).collect();
    println!("cargo::rustc-env=AGENT_AUTH_COMPONENT_SHA256={digest}");
}

/// Maps the absolute source paths that panic locations embed (the checkout and the crates.io
/// sources under CARGO_HOME) to fixed prefixes, so the component is byte-for-byte reproducible.
fn reproducible_rustflags(root: &Path) -> String {
    let cargo_home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .expect("neither CARGO_HOME nor HOME is set");
    [(root, "/agent-auth"), (cargo_home.as_path(), "/cargo")]
        .iter()
        .map(|(from, to)| format!("--remap-path-prefix={}={to}", from.display()))
        .collect::<Vec<_>>()
        .join("\x1f")
}

/// Installs the wasm32-wasip2 target for the active toolchain when its standard library is absent.
fn ensure_target() {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(&rustc).args(["--print", "sysroot"]).output().expect("cannot run rustc");
    let sysroot = String::from_utf8_lossy(&sysroot.stdout).trim().to_owned();
    if Path::new(&sysroot).join("lib/rustlib").join(TARGET).exists() {
        return;
    }
    let mut rustup = Command::new("rustup");
    rustup.args(["target", "add", TARGET]);
    if let Ok(toolchain) = env::var("RUSTUP_TOOLCHAIN") {
        rustup.args(["--toolchain", &toolchain]);
    }
    let ok = rustup.status().map(|s| s.success()).unwrap_or(false);
    assert!(ok, "the {TARGET} target is missing and `rustup target add {TARGET}` failed; install it and build again");
}
