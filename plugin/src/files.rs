//! The only files the component touches: the ones named on the command line.

use crate::output::{Code, Failure};

/// Reads a file named by `flag`.
pub fn read_named(path: &str, flag: &str) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| {
        Failure::new(
            Code::InputFileUnreadable,
            format!("cannot read {flag} {path}: {}", reason(&e)),
            format!("Check that {path} exists and is readable, and pass its path to {flag}."),
        )
    })
}

/// Writes `bytes` to `path` atomically: a temporary name in the same folder, then a rename.
pub fn write_atomic(path: &str, bytes: &[u8]) -> Result<(), Failure> {
    let fail = |e: std::io::Error| {
        Failure::new(
            Code::OutputFileUnwritable,
            format!("cannot write --output-file {path}: {}", reason(&e)),
            "Pass an --output-file in a folder that exists and is writable.",
        )
    };
    let target = std::path::Path::new(path);
    let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("output");
    let tmp = target.with_file_name(format!(
        ".{name}.{:016x}.partial",
        crate::bindings::wasi::random::random::get_random_u64()
    ));
    std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, target)).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
}

fn reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder (or not granted to the sandbox)".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}
