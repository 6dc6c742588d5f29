//! Data-driven suites (like wasmtime's wasi-http tests): one named test per JSON file of a folder
//! under `tests/`, run by libtest-mimic so that `cargo test NAME` picks cases by file name.

use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};

/// Runs `run` on every `tests/{folder}/*.json`, in name order, each as a test named by its file.
pub fn run_all(folder: &str, run: fn(&Path) -> Result<(), Failed>) -> ! {
    let args = Arguments::from_args();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests").join(folder);
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no cases in {}", dir.display());
    let trials = cases
        .into_iter()
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            Trial::test(name, move || run(&path))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit()
}
