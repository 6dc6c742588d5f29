//! The only files the component touches: the ones named on the command line.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::output::{Code, Failure};

/// Reads a file named by `flag`, or `None` when it holds more than `limit` bytes (which are then
/// not read).
pub fn read_named(path: &str, flag: &str, limit: u64) -> Result<Option<Vec<u8>>, Failure> {
    let mut bytes = Vec::new();
    let file = std::fs::File::open(path).map_err(|e| unreadable(path, flag, &e))?;
    file.take(limit + 1).read_to_end(&mut bytes).map_err(|e| unreadable(path, flag, &e))?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

/// Checks that a file named by `flag`, to be read later as it is sent, can be opened.
pub fn check_readable(path: &str, flag: &str) -> Result<(), Failure> {
    match std::fs::File::open(path).and_then(|f| f.metadata()) {
        Ok(meta) if meta.is_dir() => Err(unreadable(path, flag, &std::io::Error::other("it is a folder, not a file"))),
        Ok(_) => Ok(()),
        Err(e) => Err(unreadable(path, flag, &e)),
    }
}

fn unreadable(path: &str, flag: &str, e: &std::io::Error) -> Failure {
    Failure::new(
        Code::InputFileUnreadable,
        format!("cannot read {flag} {path}: {}", reason(e)),
        format!("Check that {path} exists and is readable, and pass its path to {flag}."),
    )
}

/// An output file written atomically: bytes go to a temporary name beside the target, which
/// replaces the target only on [`AtomicFile::commit`]; dropped uncommitted, it leaves nothing behind.
pub struct AtomicFile {
    target: PathBuf,
    tmp: PathBuf,
    file: Option<File>,
    written: u64,
}

impl AtomicFile {
    /// Opens the temporary file now, so an unwritable destination fails before any request.
    pub fn create(path: &str) -> Result<AtomicFile, Failure> {
        let target = PathBuf::from(path);
        let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("output").to_owned();
        let tmp = target.with_file_name(format!(
            ".{name}.{:016x}.partial",
            crate::bindings::wasi::random::random::get_random_u64()
        ));
        let file = File::create(&tmp).map_err(|e| unwritable(path, &e))?;
        Ok(AtomicFile { target, tmp, file: Some(file), written: 0 })
    }

    /// Moves the finished file into place once it is on the disk; returns its size.
    pub fn commit(self) -> Result<u64, Failure> {
        self.finish(true)
    }

    /// Moves the finished file into place without waiting for the disk: for caches, which a
    /// crash may leave old or empty, and whose readers take anything unreadable for a miss.
    pub fn commit_cache(self) -> Result<u64, Failure> {
        self.finish(false)
    }

    fn finish(mut self, sync: bool) -> Result<u64, Failure> {
        let result = self
            .file
            .take()
            .map_or(Ok(()), |mut f| f.flush().and_then(|()| if sync { f.sync_all() } else { Ok(()) }))
            .and_then(|()| std::fs::rename(&self.tmp, &self.target));
        result.map_err(|e| unwritable(&self.target.to_string_lossy(), &e))?;
        Ok(self.written)
    }

    /// The destination.
    pub fn target(&self) -> &Path {
        &self.target
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.as_mut().ok_or(std::io::ErrorKind::BrokenPipe)?.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.as_mut().map_or(Ok(()), File::flush)
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// `OUTPUT_FILE_UNWRITABLE` for `path`.
pub fn unwritable(path: &str, e: &std::io::Error) -> Failure {
    Failure::new(
        Code::OutputFileUnwritable,
        format!("cannot write --output-file {path}: {}", reason(e)),
        "Pass an --output-file in a folder that exists and is writable.",
    )
}

fn reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder (or not granted to the sandbox)".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}
