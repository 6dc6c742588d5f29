//! The component: the copy embedded at build time, or another build the operator chose (checked
//! against the `<path>.sha256` beside it, as the skill ships one), and its compilers.
//!
//! Two compilers, one for each moment. Cranelift, the optimising compiler, takes about 0.4 s for
//! this component; its code loads and runs fastest, so it serves every call once it is cached.
//! Winch, wasmtime's baseline compiler (x86_64 and aarch64), takes about 0.08 s: a first call
//! compiles with it, caches that, and the runner then has Cranelift's compilation made in the
//! background for the calls after (`agent-auth compile`, [`crate::compile`]).
//!
//! Compilations are kept in the [`crate::compile_cache`], named by the SHA-256 of the component
//! (computed at build time for the embedded one), the compiler and wasmtime's compatibility hash.
//! Loading one takes about a millisecond.

use std::borrow::Cow;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::Result;
use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::{Config, Engine, Strategy};

use crate::compile_cache::CompileCache;
use crate::error::{Code, RunnerError};

/// The variable naming another build of the component (else the embedded one runs): an operator
/// setting ([`crate::settings`]).
pub const COMPONENT_VAR: &str = "AGENT_AUTH_COMPONENT";
/// The component built from `plugin/` when this binary was built.
pub const EMBEDDED: &[u8] = include_bytes!(env!("AGENT_AUTH_COMPONENT_WASM"));
/// The SHA-256 of [`EMBEDDED`] (hex), computed by `build.rs`.
const EMBEDDED_SHA256: &str = env!("AGENT_AUTH_COMPONENT_SHA256");

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

/// The checksum beside the component at `path`: `<path>.sha256`.
pub fn checksum_path(path: &Path) -> PathBuf {
    let mut checksum = path.as_os_str().to_owned();
    checksum.push(".sha256");
    PathBuf::from(checksum)
}

/// Reads a component from `path`; when `<path>.sha256` exists (`sha256sum` format), the bytes must match it.
pub fn read(path: &Path) -> Result<Wasm, ReadError> {
    let wasm = Wasm::from_bytes(std::fs::read(path).map_err(|e| ReadError::Unreadable(path.to_path_buf(), e))?);
    let checksum_path = checksum_path(path);
    let line = match std::fs::read(&checksum_path) {
        // Absent: nothing to check. A dangling symlink is not absent: it is unreadable.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && std::fs::symlink_metadata(&checksum_path).is_err() => {
            return Ok(wasm);
        }
        Err(e) => return Err(ReadError::Unreadable(checksum_path, e)),
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

/// A component ready to link, and how it was compiled.
pub struct Loaded {
    /// The engine it was compiled for.
    pub engine: Engine,
    /// The component.
    pub component: Component,
    /// Which compiler made it.
    pub compiler: Compiler,
}

/// The best compilation of `wasm` at hand: Cranelift's from `cache`, else the first-call
/// compiler's (loaded from `cache`, or compiled and cached there).
pub fn load(wasm: &Wasm, cache: Option<&CompileCache>) -> Result<Loaded> {
    let optimising = Compiler::Optimising.engine()?;
    let cached = |engine: &Engine, compiler| cache.and_then(|c| c.load(engine, &cache_key(engine, compiler, wasm)));
    if let Some(component) = cached(&optimising, Compiler::Optimising) {
        return Ok(Loaded { engine: optimising, component, compiler: Compiler::Optimising });
    }
    let compiler = Compiler::FIRST_CALL;
    let engine = if compiler == Compiler::Optimising { optimising } else { compiler.engine()? };
    if compiler != Compiler::Optimising
        && let Some(component) = cached(&engine, compiler)
    {
        return Ok(Loaded { engine, component, compiler });
    }
    let component = Component::from_binary(&engine, wasm.bytes())?;
    if let Some(cache) = cache {
        // A cache that cannot be written only costs speed; never fail the call for it.
        let _ = cache.store(&cache_key(&engine, compiler, wasm), &component);
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

/// Compiles `wasm` with Cranelift into `cache`, unless its compilation is there already, and drops
/// the first-call compilation it replaces. Returns the cache file.
pub fn optimise(wasm: &Wasm, cache: &CompileCache) -> Result<PathBuf, OptimiseError> {
    let engine = Compiler::Optimising.engine().map_err(OptimiseError::Compile)?;
    let name = cache_key(&engine, Compiler::Optimising, wasm);
    if cache.load(&engine, &name).is_none() {
        let component = Component::from_binary(&engine, wasm.bytes()).map_err(OptimiseError::Compile)?;
        cache.store(&name, &component).map_err(OptimiseError::Store)?;
    }
    if Compiler::FIRST_CALL != Compiler::Optimising
        && let Ok(first) = Compiler::FIRST_CALL.engine()
    {
        cache.remove(&cache_key(&first, Compiler::FIRST_CALL, wasm));
    }
    Ok(cache.path().join(name))
}

/// The component the operator chose (its checksum checked), or the embedded one.
pub fn chosen(path: Option<&Path>) -> std::result::Result<Wasm, RunnerError> {
    let Some(path) = path else { return Ok(Wasm::embedded()) };
    read(path).map_err(|e| match e {
        ReadError::Unreadable(unreadable, e) => RunnerError::new(
            Code::ComponentUnreadable,
            format!("cannot read {}: {}", unreadable.display(), e.kind()),
            if unreadable == path {
                format!("Set {COMPONENT_VAR} to the path of an agent-auth .wasm, or unset it to use the built-in one.")
            } else {
                "The checksum beside the component cannot be read: reinstall the skill (or rebuild it with scripts/build-skill.sh).".to_owned()
            },
        ),
        ReadError::ChecksumMismatch { expected, actual } => RunnerError::new(
            Code::ComponentChecksumMismatch,
            format!("{} has SHA-256 {actual}, but {}.sha256 says {expected}", path.display(), path.display()),
            "The file was changed or damaged: reinstall the skill (or rebuild it with scripts/build-skill.sh); never edit the checksum to match.",
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_time_digest_is_the_embedded_bytes() {
        assert_eq!(Wasm::embedded().sha256(), Wasm::from_bytes(EMBEDDED.to_vec()).sha256());
    }
}
