//! One invocation of the component: a fresh store with the sandbox's variables, files, hooks and
//! limits; the exit code and stdout come back to the caller.

use std::path::Path;
use std::time::Duration;

use agent_auth_contract::exit::Exit;
use agent_auth_contract::storage::CONNECTIONS_FILE;
use anyhow::{Context, Result};
use bytes::Bytes;
use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{Engine, ResourceLimiter, Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::compile_cache::CompileCache;
use crate::component::{self, Compiler, Loaded, Wasm};
use crate::error::{Code, RunnerError};
use crate::outbound::{Network, Outbound};
use crate::sandbox::proxy_policy::ProxyGate;
use crate::sandbox::{AgentDirs, EgressPolicy, FileGrants, Limits, Staging, ledger};

/// The component's world, as the host sees it (generated from `wit/`).
mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "agent-auth:component/tool-executor",
        exports: { default: async },
        with: {
            "wasi:cli": wasmtime_wasi::p2::bindings::cli,
            "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
            "wasi:filesystem": wasmtime_wasi::p2::bindings::filesystem,
            "wasi:io": wasmtime_wasi::p2::bindings::io,
            "wasi:random": wasmtime_wasi::p2::bindings::random,
            "wasi:sockets": wasmtime_wasi::p2::bindings::sockets,
            "wasi:http": wasmtime_wasi_http::p2::bindings::http,
        },
    });
}

use bindings::ToolExecutorPre;

/// How often the epoch ticks; the wall-clock deadline is counted in ticks.
const EPOCH_TICK: Duration = Duration::from_millis(10);
/// Most stdout the component may produce (one JSON object; bodies may be large).
const STDOUT_CAPACITY: usize = 64 << 20;
/// Most stderr captured in tests.
const STDERR_CAPACITY: usize = 1 << 20;
/// The memory cap applies per linear memory, so the number of memories is capped too (a Rust
/// component has one; the rest is headroom), with the core instances and tables it needs.
const MAX_MEMORIES: usize = 2;
const MAX_INSTANCES: usize = 32;
const MAX_TABLES: usize = 8;
const MAX_TABLE_ELEMENTS: usize = 100_000;

/// Where the component's stdin and stderr go.
#[derive(Debug, Clone)]
pub enum Stdio {
    /// The runner's own stream.
    Inherit,
    /// In memory: stdin reads these bytes; stderr is captured.
    Memory(Bytes),
}

/// Everything one invocation needs.
pub struct Invocation {
    /// Arguments after the program name.
    pub args: Vec<String>,
    /// The component's environment.
    pub env: Vec<(String, String)>,
    /// Which origins it may reach.
    pub egress: EgressPolicy,
    /// Where its HTTP goes.
    pub network: Network,
    /// The files it may read and write.
    pub files: FileGrants,
    /// agent-auth's config and state folders, granted read-write when given.
    pub agent_dirs: Option<AgentDirs>,
    /// Memory, time and network limits.
    pub limits: Limits,
    /// The operator's proxy policy, at the door, when there is one.
    pub proxy_gate: Option<ProxyGate>,
    /// stdin and stderr.
    pub stdio: Stdio,
}

/// Why the host stopped the component.
#[derive(Debug, Clone, PartialEq)]
pub enum Stopped {
    /// The wall-clock limit ran out.
    Timeout(Duration),
    /// The component needed more memory than allowed.
    MemoryLimit(usize),
    /// Any other trap (a bug).
    Trap(String),
}

impl Stopped {
    /// The runner's report of the stop, when the component printed no result of its own.
    pub fn error(&self) -> RunnerError {
        match self {
            Stopped::Timeout(limit) => RunnerError::new(
                Code::Timeout,
                format!("the call did not finish within {} s", limit.as_secs()),
                "Retry later, or allow more time with --timeout SECONDS; a write may or may not have happened.",
            ),
            Stopped::MemoryLimit(bytes) => RunnerError::new(
                Code::MemoryLimit,
                format!("the component needed more than {} MiB of memory", bytes >> 20),
                "Use --output-file for large responses, or a smaller --input-file.",
            ),
            Stopped::Trap(what) => RunnerError::new(
                Code::InternalError,
                format!("the component crashed: {what}"),
                "Report this with the command you ran.",
            ),
        }
    }
}

/// The trap a memory growth past the cap raises, recognised by type when the call fails.
#[derive(Debug)]
struct MemoryLimitExceeded {
    limit: usize,
}

impl std::fmt::Display for MemoryLimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the component's memory may not grow past {} bytes", self.limit)
    }
}

impl std::error::Error for MemoryLimitExceeded {}

/// The store's limits: counts of instances, memories and tables from wasmtime's [`StoreLimits`],
/// and the memory cap, whose breach traps with [`MemoryLimitExceeded`].
struct Limiter {
    memory_bytes: usize,
    counts: StoreLimits,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            return Err(wasmtime::Error::new(MemoryLimitExceeded { limit: self.memory_bytes }));
        }
        self.counts.memory_growing(current, desired, maximum)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.counts.memory_grow_failed(error)
    }

    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.counts.table_growing(current, desired, maximum)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.counts.table_grow_failed(error)
    }

    fn instances(&self) -> usize {
        self.counts.instances()
    }

    fn tables(&self) -> usize {
        self.counts.tables()
    }

    fn memories(&self) -> usize {
        self.counts.memories()
    }
}

/// What one invocation produced.
#[derive(Debug)]
pub struct Outcome {
    /// The component's exit code.
    pub exit_code: u8,
    /// Everything written to stdout.
    pub stdout: Vec<u8>,
    /// Everything written to stderr (when captured).
    pub stderr: Vec<u8>,
    /// Set when the host stopped the component.
    pub stopped: Option<Stopped>,
    /// The runner's own failure that replaces the component's result: a request the operator's
    /// proxy policy refused, or an output that could not be moved into place.
    pub overridden: Option<RunnerError>,
}

struct State {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    outbound: Outbound,
    limiter: Limiter,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for State {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.outbound }
    }
}

/// A compiled, linked component, ready for many invocations.
pub struct Runtime {
    engine: Engine,
    pre: ToolExecutorPre<State>,
    compiler: Compiler,
}

impl Runtime {
    /// Loads (from the compile cache in `cache_dir`, or compiles) and links the component. A cache
    /// folder that cannot be used ([`CompileCache::open`]) is not used.
    pub fn new(wasm: &Wasm, cache_dir: Option<&Path>) -> Result<Runtime> {
        let cache = cache_dir.and_then(|dir| CompileCache::open(dir).ok());
        let Loaded { engine, component, compiler } =
            component::load(wasm, cache.as_ref()).context("the component does not load")?;
        let weak = engine.weak();
        std::thread::spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        });
        let mut linker: Linker<State> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        let pre = ToolExecutorPre::new(linker.instantiate_pre(&component)?)?;
        Ok(Runtime { engine, pre, compiler })
    }

    /// Which compiler made the code this runtime runs.
    pub fn compiler(&self) -> Compiler {
        self.compiler
    }

    /// Runs the component once.
    pub async fn run(&self, inv: Invocation) -> Result<Outcome> {
        if let Some(dirs) = &inv.agent_dirs {
            dirs.ensure().context("cannot create agent-auth's config and state folders")?;
            ledger::sweep(&dirs.ledger());
        }
        let staging = Staging::prepare(inv.files, inv.agent_dirs.as_ref().map(AgentDirs::ledger).as_deref());
        let stdout = MemoryOutputPipe::new(STDOUT_CAPACITY);
        let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
        let mut wasi = WasiCtx::builder();
        wasi.arg("agent-auth").args(&inv.args).envs(&inv.env).stdout(stdout.clone());
        if let Some(dirs) = &inv.agent_dirs {
            wasi.envs(&dirs.env());
            for dir in [&dirs.config, &dirs.state] {
                wasi.preopened_dir(dir, dir.to_string_lossy(), FsPerms::ReadWrite)?;
            }
        }
        wasi.allow_tcp(false).allow_udp(false).allow_ip_name_lookup(false);
        // The component's files are small and local: reading them on this thread saves a hop to
        // tokio's blocking pool (and back) for every read and write.
        wasi.allow_blocking_current_thread(true);
        match &inv.stdio {
            Stdio::Inherit => {
                wasi.inherit_stdin().inherit_stderr();
            }
            Stdio::Memory(input) => {
                wasi.stdin(MemoryInputPipe::new(input.clone())).stderr(stderr.clone());
            }
        }
        for dir in &staging.dirs {
            let perms = if dir.writable { FsPerms::ReadWrite } else { FsPerms::ReadOnly };
            // The staging folder reopened through its handle: not looked up by name again.
            wasi.preopened_dir(dir.folder.reopen_path(), &dir.guest_path, perms)?;
        }
        let state = State {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            outbound: Outbound::new(inv.egress, inv.proxy_gate.clone(), inv.network, inv.limits.clone()),
            limiter: Limiter {
                memory_bytes: inv.limits.memory_bytes,
                counts: StoreLimitsBuilder::new()
                    .memories(MAX_MEMORIES)
                    .instances(MAX_INSTANCES)
                    .tables(MAX_TABLES)
                    .table_elements(MAX_TABLE_ELEMENTS)
                    .trap_on_grow_failure(true)
                    .build(),
            },
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        let ticks = (inv.limits.wall_clock.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64;
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();

        let call = async {
            let instance = self.pre.instantiate_async(&mut store).await?;
            instance.wasi_cli_run().call_run(&mut store).await
        };
        let (exit_code, stopped) = match tokio::time::timeout(inv.limits.wall_clock, call).await {
            Err(_) => stop(Stopped::Timeout(inv.limits.wall_clock)),
            Ok(Ok(Ok(()))) => (Exit::Ok.code(), None),
            Ok(Ok(Err(()))) => (Exit::Internal.code(), None),
            Ok(Err(err)) => classify(err, &inv.limits),
        };
        drop(store);
        if let Some(dirs) = &inv.agent_dirs {
            dirs.protect().with_context(|| {
                format!("cannot restrict {CONNECTIONS_FILE}, the token cache and the results to their owner")
            })?;
        }
        let committed = match exit_code == Exit::Ok.code() {
            true => staging.commit().err().map(|e| {
                RunnerError::new(
                    Code::OutputFileUnwritable,
                    format!("the output could not be moved into place: {e}"),
                    "Name an output file in a folder that stays where it is during the call, and not a folder.",
                )
            }),
            false => None,
        };
        let overridden = inv.proxy_gate.and_then(|gate| gate.refusal()).or(committed);
        Ok(Outcome {
            exit_code,
            stdout: stdout.contents().to_vec(),
            stderr: stderr.contents().to_vec(),
            stopped,
            overridden,
        })
    }
}

/// The exit code of a stop, with its reason.
fn stop(stopped: Stopped) -> (u8, Option<Stopped>) {
    (stopped.error().exit().code(), Some(stopped))
}

/// Turns an error out of the component into an exit code (and a reason when the host stopped it),
/// by the error's type: the component's own exit, the epoch deadline, the memory cap, or a bug.
fn classify(err: wasmtime::Error, limits: &Limits) -> (u8, Option<Stopped>) {
    if let Some(exit) = err.downcast_ref::<I32Exit>() {
        return (u8::try_from(exit.0).unwrap_or(Exit::Internal.code()), None);
    }
    if matches!(err.downcast_ref::<wasmtime::Trap>(), Some(wasmtime::Trap::Interrupt)) {
        return stop(Stopped::Timeout(limits.wall_clock));
    }
    if err.downcast_ref::<MemoryLimitExceeded>().is_some() {
        return stop(Stopped::MemoryLimit(limits.memory_bytes));
    }
    // The trap itself (an out-of-bounds access, a stack overflow), never the wasm backtrace.
    stop(Stopped::Trap(err.root_cause().to_string()))
}
