//! `.ci/run` must get past its set-up on a fresh clone: `scripts/setup.sh --check` runs on a copy of
//! the files a commit would carry (tracked and new, not ignored, as they are on disk), where no
//! node_modules exist and `npm ci` would have to accept each lock file as it is.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{DEADLINE, output_within};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("host-harness sits in the repository").to_path_buf()
}

/// The tracked files of this checkout (as they are on disk), copied into a fresh folder.
fn fresh_copy() -> tempfile::TempDir {
    let repo = repository();
    let listed = output_within(
        Command::new("git").args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"]).current_dir(&repo),
        DEADLINE,
    );
    assert!(listed.status.success(), "git ls-files: {}", String::from_utf8_lossy(&listed.stderr));
    let copy = tempfile::tempdir().unwrap();
    for name in listed.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = Path::new(std::str::from_utf8(name).expect("tracked paths are UTF-8"));
        let (from, to) = (repo.join(name), copy.path().join(name));
        if !from.exists() {
            continue; // deleted in the working tree, not yet committed
        }
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap_or_else(|e| panic!("copy {}: {e}", name.display()));
    }
    copy
}

fn check(root: &Path) -> std::process::Output {
    output_within(Command::new("bash").arg("scripts/setup.sh").arg("--check").current_dir(root), DEADLINE)
}

#[test]
fn a_fresh_clone_gets_past_the_set_up() {
    let copy = fresh_copy();
    let out = check(copy.path());
    assert!(out.status.success(), ".ci/run would stop before any test:\n{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_lock_file_npm_ci_refuses_stops_the_set_up() {
    let copy = fresh_copy();
    let lock = copy.path().join("tests/skill/package-lock.json");
    let mut parsed: serde_json::Value = serde_json::from_slice(&std::fs::read(&lock).unwrap()).unwrap();
    // What npm once wrote: a package for another platform left out of the lock.
    let packages = parsed["packages"].as_object_mut().unwrap();
    let other_platform =
        packages.keys().find(|k| k.contains("win32")).cloned().expect("the lock lists other platforms' packages");
    packages.remove(&other_platform);
    std::fs::write(&lock, serde_json::to_vec_pretty(&parsed).unwrap()).unwrap();
    let out = check(copy.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the check passed a lock file npm ci refuses");
    assert!(stderr.contains("npm ci refuses tests/skill/package-lock.json"), "{stderr}");
    assert!(stderr.contains(other_platform.trim_start_matches("node_modules/")), "npm's reason is shown: {stderr}");
}
