//! The component: the copy embedded at build time, another build from a path (checked against the
//! `<path>.sha256` beside it, as the skill ships one), its compilers and the compiled-component
//! cache.
//!
//! Two compilers, one for each moment. Cranelift, the optimising compiler, takes about 0.4 s for
//! this component; its code loads and runs fastest, so it serves every call once it is cached.
//! Winch, wasmtime's baseline compiler (x86_64 and aarch64), takes about 0.08 s: a first call
//! compiles with it, caches that, and the runner then has Cranelift's compilation made in the
//! background for the calls after (`agent-auth compile`, [`crate::compile`]).
//!
//! Loading a cached compilation takes about a millisecond. Cache files are named by the SHA-256
//! of the component (computed at build time for the embedded one), the compiler and wasmtime's
//! compatibility hash, and are written to a temporary name, then renamed. Each ends in a trailer
//! (its length and a CRC-32 of the artifact), so that a truncated or damaged file (a full disk,
//! another program writing there, bit rot) is ignored and rebuilt rather than executed: wasmtime
//! runs the artifact's machine code as it is. A CRC is enough against accidents at a fraction of a
//! cryptographic hash's cost; whoever can write the cache folder on purpose can also replace the
//! runner itself.

use std::borrow::Cow;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::Result;
use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::{Config, Engine, Strategy};

/// The component built from `plugin/` when this binary was built.
pub const EMBEDDED: &[u8] = include_bytes!(env!("AGENT_AUTH_COMPONENT_WASM"));
/// The SHA-256 of [`EMBEDDED`] (hex), computed by `build.rs`.
const EMBEDDED_SHA256: &str = env!("AGENT_AUTH_COMPONENT_SHA256");

/// What a cache file ends with: the artifact's length (8 bytes, little-endian), its CRC-32 (4
/// bytes) and this mark (4 bytes).
const TRAILER_MARK: &[u8; 4] = b"aac1";
const TRAILER_LEN: usize = 16;

/// A component's bytes and the SHA-256 that names its compilation.
#[derive(Debug, Clone)]
pub struct Wasm {
    bytes: Cow<'static, [u8]>,
    sha256: String,
}

impl Wasm {
    /// The embedded component (no hashing: the digest was computed at build time).
    pub fn embedded() -> Wasm {
        Wasm { bytes: Cow::Borrowed(EMBEDDED), sha256: EMBEDDED_SHA256.to_owned() }
    }

    /// A component from bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Wasm {
        let sha256 = hex(&Sha256::digest(&bytes));
        Wasm { bytes: Cow::Owned(bytes), sha256 }
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The lowercase hex SHA-256 of the bytes.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

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
pub fn read(path: &Path) -> Result<Wasm, ReadError> {
    let wasm = Wasm::from_bytes(std::fs::read(path).map_err(|e| ReadError::Unreadable(path.to_path_buf(), e))?);
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
    if expected != wasm.sha256 {
        return Err(ReadError::ChecksumMismatch { expected, actual: wasm.sha256 });
    }
    Ok(wasm)
}

/// The compilers a component is compiled with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compiler {
    /// Cranelift: the slower compile, the fastest code to load and run.
    Optimising,
    /// Winch, for a first call: compiles about five times faster.
    Baseline,
}

impl Compiler {
    /// The compiler for a call that finds no compilation: Winch where wasmtime has it.
    pub const FIRST_CALL: Compiler = if cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
        Compiler::Baseline
    } else {
        Compiler::Optimising
    };

    /// The compiler's name, as `agent-auth compile` reports it.
    pub fn name(self) -> &'static str {
        match self {
            Compiler::Optimising => "cranelift",
            Compiler::Baseline => "winch",
        }
    }

    /// An engine that compiles with this compiler, with the settings the runtime relies on
    /// (epoch interruption, for the wall-clock limit).
    pub fn engine(self) -> wasmtime::Result<Engine> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        config.strategy(match self {
            Compiler::Optimising => Strategy::Cranelift,
            Compiler::Baseline => Strategy::Winch,
        });
        Engine::new(&config)
    }
}

/// The cache file name for `wasm` compiled by `compiler` (with its `engine`).
pub fn cache_key(engine: &Engine, compiler: Compiler, wasm: &Wasm) -> String {
    let mut hasher = Sha256Hasher(Sha256::new());
    hasher.write(wasm.sha256.as_bytes());
    hasher.write(compiler.name().as_bytes());
    engine.precompile_compatibility_hash().hash(&mut hasher);
    format!("{}.cwasm", hex(&hasher.0.finalize()))
}

/// The cache folder: `configured` (`AGENT_AUTH_CACHE_DIR`), else the user's cache folder + `agent-auth`.
pub fn cache_dir(configured: Option<PathBuf>) -> Option<PathBuf> {
    configured.or_else(|| dirs::cache_dir().map(|d| d.join("agent-auth")))
}

/// A component ready to link, and how it was compiled.
pub struct Loaded {
    /// The engine it was compiled for.
    pub engine: Engine,
    /// The component.
    pub component: Component,
    /// Which compiler made it.
    pub compiler: Compiler,
}

/// The best compilation of `wasm` at hand: Cranelift's from `cache_dir`, else the first-call
/// compiler's (loaded from `cache_dir`, or compiled and cached there).
pub fn load(wasm: &Wasm, cache_dir: Option<&Path>) -> Result<Loaded> {
    let optimising = Compiler::Optimising.engine()?;
    let cached = |engine: &Engine, compiler| cache_dir.map(|d| d.join(cache_key(engine, compiler, wasm)));
    if let Some(component) = cached(&optimising, Compiler::Optimising).and_then(|p| from_cache(&optimising, &p)) {
        return Ok(Loaded { engine: optimising, component, compiler: Compiler::Optimising });
    }
    let compiler = Compiler::FIRST_CALL;
    let engine = if compiler == Compiler::Optimising { optimising } else { compiler.engine()? };
    let path = cached(&engine, compiler);
    if compiler != Compiler::Optimising
        && let Some(component) = path.as_deref().and_then(|p| from_cache(&engine, p))
    {
        return Ok(Loaded { engine, component, compiler });
    }
    let component = Component::from_binary(&engine, wasm.bytes())?;
    if let Some(path) = &path {
        // A cache that cannot be written only costs speed; never fail the call for it.
        let _ = store(&component, path);
    }
    Ok(Loaded { engine, component, compiler })
}

/// Why [`optimise`] failed.
#[derive(Debug)]
pub enum OptimiseError {
    /// The component does not compile (not a component for this wasmtime).
    Compile(wasmtime::Error),
    /// The compilation cannot be written to the cache folder.
    Store(anyhow::Error),
}

/// Compiles `wasm` with Cranelift into `cache_dir`, unless an intact compilation is there already,
/// and drops the first-call compilation it replaces. Returns the cache file.
pub fn optimise(wasm: &Wasm, cache_dir: &Path) -> Result<PathBuf, OptimiseError> {
    let engine = Compiler::Optimising.engine().map_err(OptimiseError::Compile)?;
    let path = cache_dir.join(cache_key(&engine, Compiler::Optimising, wasm));
    if from_cache(&engine, &path).is_none() {
        let component = Component::from_binary(&engine, wasm.bytes()).map_err(OptimiseError::Compile)?;
        store(&component, &path).map_err(OptimiseError::Store)?;
    }
    if Compiler::FIRST_CALL != Compiler::Optimising
        && let Ok(first) = Compiler::FIRST_CALL.engine()
    {
        let _ = std::fs::remove_file(cache_dir.join(cache_key(&first, Compiler::FIRST_CALL, wasm)));
    }
    Ok(path)
}

/// Whether the file at `path` ends in a trailer that matches the artifact before it. It is read
/// through a small buffer, so checking it allocates nothing the size of the artifact.
fn intact(path: &Path) -> Option<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path).ok()?;
    let total = file.metadata().ok()?.len();
    let payload_len = total.checked_sub(TRAILER_LEN as u64)?;
    let mut trailer = [0u8; TRAILER_LEN];
    file.seek(SeekFrom::Start(payload_len)).ok()?;
    file.read_exact(&mut trailer).ok()?;
    let (len, rest) = trailer.split_at(8);
    let (crc, mark) = rest.split_at(4);
    if mark != TRAILER_MARK || u64::from_le_bytes(len.try_into().ok()?) != payload_len {
        return Some(false);
    }
    file.seek(SeekFrom::Start(0)).ok()?;
    let (mut hasher, mut left, mut buffer) = (crc32fast::Hasher::new(), payload_len, vec![0u8; 256 << 10]);
    while left > 0 {
        let chunk = &mut buffer[..left.min(256 << 10) as usize];
        file.read_exact(chunk).ok()?;
        hasher.update(chunk);
        left -= chunk.len() as u64;
    }
    Some(hasher.finalize() == u32::from_le_bytes(crc.try_into().ok()?))
}

fn from_cache(engine: &Engine, path: &Path) -> Option<Component> {
    if intact(path) != Some(true) {
        return None;
    }
    // SAFETY: the file is one this module wrote (its trailer checked: whole and undamaged) from
    // `Component::serialize`, for an engine with the same compatibility hash (part of its name);
    // wasmtime maps it, still verifies its header, rejects incompatible artifacts, and ignores the
    // trailer after the artifact.
    unsafe { Component::deserialize_file(engine, path) }.ok()
}

fn store(component: &Component, path: &Path) -> Result<()> {
    let dir = path.parent().ok_or_else(|| anyhow::anyhow!("cache path has no folder"))?;
    std::fs::create_dir_all(dir)?;
    let mut data = component.serialize()?;
    let (len, crc) = (data.len() as u64, crc32fast::hash(&data));
    data.extend_from_slice(&len.to_le_bytes());
    data.extend_from_slice(&crc.to_le_bytes());
    data.extend_from_slice(TRAILER_MARK);
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, &data)?;
    tmp.persist(path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_time_digest_is_the_embedded_bytes() {
        assert_eq!(Wasm::embedded().sha256(), Wasm::from_bytes(EMBEDDED.to_vec()).sha256());
    }

    #[test]
    fn a_trailer_guards_the_artifact() {
        let dir = tempfile::tempdir().unwrap();
        let payload: Vec<u8> = (0..600_000u32).map(|i| (i % 251) as u8).collect();
        let mut data = payload.clone();
        data.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        data.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        data.extend_from_slice(TRAILER_MARK);
        let check = |bytes: &[u8]| {
            let path = dir.path().join("x.cwasm");
            std::fs::write(&path, bytes).unwrap();
            intact(&path)
        };
        assert_eq!(check(&data), Some(true));
        let mut flipped = data.clone();
        flipped[300_000] ^= 1;
        assert_eq!(check(&flipped), Some(false), "a damaged byte");
        assert_eq!(check(&data[1..]), Some(false), "a truncated file");
        assert_eq!(check(b"short"), None);
    }
}
