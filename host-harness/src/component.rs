//! The component: the copy embedded at build time, another build from a path (checked against the
//! `<path>.sha256` beside it, as the skill ships one), and the compiled-component cache.
//!
//! Compiling the component takes hundreds of milliseconds; loading a cached compilation takes about
//! one. Cache files are keyed by the SHA-256 of the component and of wasmtime's compatibility hash,
//! carry a SHA-256 of their own contents, and are written to a temporary name then renamed. A file
//! that fails any check is ignored and rebuilt.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::Result;
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// The component built from `plugin/` when this binary was built.
pub const EMBEDDED: &[u8] = include_bytes!(env!("AGENT_AUTH_COMPONENT_WASM"));

/// Length of the SHA-256 trailer of a cache file.
const DIGEST_LEN: usize = 32;

/// Feeds `Hash` output into SHA-256, for wasmtime's compatibility hash.
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    fn finish(&self) -> u64 {
        0 // unused: the digest is read with `finalize`
    }
}

/// Why a component file cannot be used.
#[derive(Debug)]
pub enum ReadError {
    /// The file, or the checksum beside it (the path says which), cannot be read.
    Unreadable(PathBuf, std::io::Error),
    /// The `.sha256` beside it names other bytes (or is not a SHA-256 line).
    ChecksumMismatch {
        /// The digest the checksum file names.
        expected: String,
        /// The digest of the file's bytes.
        actual: String,
    },
}

/// Reads a component from `path`; when `<path>.sha256` exists (`sha256sum` format), the bytes must match it.
pub fn read(path: &Path) -> Result<Vec<u8>, ReadError> {
    let wasm = std::fs::read(path).map_err(|e| ReadError::Unreadable(path.to_path_buf(), e))?;
    let mut checksum_path = path.as_os_str().to_owned();
    checksum_path.push(".sha256");
    let line = match std::fs::read(&checksum_path) {
        // Absent: nothing to check. A dangling symlink is not absent: it is unreadable.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && std::fs::symlink_metadata(&checksum_path).is_err() => {
            return Ok(wasm);
        }
        Err(e) => return Err(ReadError::Unreadable(PathBuf::from(checksum_path), e)),
        Ok(line) => String::from_utf8_lossy(&line).into_owned(),
    };
    let expected = line.split_whitespace().next().unwrap_or_default().to_ascii_lowercase();
    let actual = format!("{:x}", Sha256::digest(&wasm));
    if expected != actual {
        return Err(ReadError::ChecksumMismatch { expected, actual });
    }
    Ok(wasm)
}

/// The cache file name for `wasm` compiled by `engine`.
pub fn cache_key(engine: &Engine, wasm: &[u8]) -> String {
    let mut hasher = Sha256Hasher(Sha256::new());
    hasher.write(&Sha256::digest(wasm));
    engine.precompile_compatibility_hash().hash(&mut hasher);
    format!("{:x}.cwasm", hasher.0.finalize())
}

/// The cache folder: `configured` (`AGENT_AUTH_CACHE_DIR`), else the user's cache folder + `agent-auth`.
pub fn cache_dir(configured: Option<PathBuf>) -> Option<PathBuf> {
    configured.or_else(|| dirs::cache_dir().map(|d| d.join("agent-auth")))
}

/// Compiles `wasm`, or loads its compilation from `cache_dir`.
pub fn load(engine: &Engine, wasm: &[u8], cache_dir: Option<&Path>) -> Result<Component> {
    let path = cache_dir.map(|d| d.join(cache_key(engine, wasm)));
    if let Some(component) = path.as_deref().and_then(|p| from_cache(engine, p)) {
        return Ok(component);
    }
    let component = Component::from_binary(engine, wasm)?;
    if let Some(path) = &path {
        // A cache that cannot be written only costs speed; never fail the call for it.
        let _ = store(&component, path);
    }
    Ok(component)
}

fn from_cache(engine: &Engine, path: &Path) -> Option<Component> {
    let data = std::fs::read(path).ok()?;
    let (payload, digest) = data.split_at_checked(data.len().checked_sub(DIGEST_LEN)?)?;
    if Sha256::digest(payload).as_slice() != digest {
        return None;
    }
    if !matches!(Engine::detect_precompiled(payload), Some(wasmtime::Precompiled::Component)) {
        return None;
    }
    // SAFETY: the bytes are a file this module wrote (checked by its digest) from
    // `Component::serialize`, for an engine with the same compatibility hash (part of its name);
    // deserialize still verifies the header and rejects incompatible artifacts.
    unsafe { Component::deserialize(engine, payload) }.ok()
}

fn store(component: &Component, path: &Path) -> Result<()> {
    let dir = path.parent().ok_or_else(|| anyhow::anyhow!("cache path has no folder"))?;
    std::fs::create_dir_all(dir)?;
    let mut data = component.serialize()?;
    let digest = Sha256::digest(&data);
    data.extend_from_slice(&digest);
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, &data)?;
    tmp.persist(path)?;
    Ok(())
}
