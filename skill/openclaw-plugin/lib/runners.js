// The agent-auth runners: one `agent-auth mcp --identifier=I` per person, started on their first
// call (no shell), kept while they use it and stopped when idle. Each has its own folder (state,
// config, files), so no person sees another's account status, schemas or files. A runner works in
// its person's files folder (relative paths land there), and reads its settings from an empty
// `.env` of the plugin's own, never from one a tool wrote among the files. A runner's environment
// is the operator's settings from the Gateway's environment plus what the plugin's config gives
// that person: the secrets reach it and nothing else.
import { execFile, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, mkdirSync, openSync } from "node:fs";
import path from "node:path";

import { FLAGS, flag, OPERATOR_VARIABLES, REQUESTER_META, VARIABLES } from "./contract.js";
import { Refusal } from "./identity.js";

/** The MCP protocol version the plugin speaks to its runners. */
const PROTOCOL = "2025-06-18";
/** The most runners at once; past it the longest idle one stops, and with none idle, a new person waits. */
export const KEPT_MAX = 64;

/**
 * The runner's own tools, as `agent-auth mcp --list-tools` describes them (the MCP server's
 * list): `[{name, description, inputSchema, outputSchema, annotations}]`. Throws with the reason.
 */
export function listTools(command) {
  const run = spawnSync(command, ["mcp", FLAGS.listTools], {
    encoding: "utf8", shell: false, windowsHide: true, timeout: 20_000, env: operatorEnv(), maxBuffer: 4 << 20,
  });
  if (run.error) throw new Error(`cannot run ${command}: ${run.error.code ?? run.error.message}`);
  if (run.status !== 0) throw new Error(`${command} mcp ${FLAGS.listTools} exited with ${run.status}: ${firstLine(run.stderr)}`);
  return JSON.parse(run.stdout).tools;
}

/** The runners of one Gateway. */
export class Runners {
  /**
   * `command`: the runner; `root`: the folder of every person's folder; `env(identifier)`: the
   * settings and secrets for that person's runner; `idleMs`: how long an unused runner stays.
   */
  constructor({ command, root, env, idleMs, logger }) {
    Object.assign(this, { command, root, env, idleMs, logger });
    this.kept = new Map();
  }

  /** Calls `tool` with `args` for `identifier`, recording `requester`: the MCP `tools/call` result. */
  async call(identifier, requester, tool, args, signal) {
    const runner = this.runner(identifier);
    runner.hold();
    try {
      return await runner.request("tools/call", { name: tool, arguments: args, _meta: { [REQUESTER_META]: requester } }, signal);
    } finally {
      runner.release();
    }
  }

  /**
   * Runs the CLI once for `identifier` with `args` (in their folder, with their runner's
   * environment), recording `requester`: the JSON it prints.
   */
  runOnce(identifier, requester, args) {
    const { files, envFile, env } = this.prepare(identifier);
    env[VARIABLES.requester] = requester;
    return new Promise((resolve, reject) => {
      execFile(this.command, [flag(FLAGS.envFile, envFile), ...args], { cwd: files, env, shell: false, windowsHide: true, timeout: 60_000, maxBuffer: 4 << 20 },
        (error, stdout) => {
          try {
            resolve(JSON.parse(stdout));
          } catch {
            reject(new Error(`the agent-auth runner printed no result${error?.code ? ` (exit ${error.code})` : ""}`));
          }
        });
    });
  }

  /** The folder of `identifier`'s state, config and files (named by a digest: no name is a path). */
  folder(identifier) {
    const digest = createHash("sha256").update(identifier, "utf8").digest("hex").slice(0, 32);
    return path.join(this.root, "people", digest);
  }

  /** Stops every runner. */
  stopAll() {
    for (const runner of [...this.kept.values()]) runner.stop();
  }

  runner(identifier) {
    const existing = this.kept.get(identifier);
    if (existing) return existing;
    if (this.kept.size >= KEPT_MAX && !this.stopIdlest()) {
      throw new Refusal("BUSY", `${KEPT_MAX} people's calls are running`, "Try again in a minute.");
    }
    const { files, envFile, env } = this.prepare(identifier);
    const args = ["mcp", flag(FLAGS.envFile, envFile), flag(FLAGS.identifier, identifier), flag(FLAGS.files, files)];
    const child = spawn(this.command, args, { cwd: files, env, shell: false, windowsHide: true, stdio: ["pipe", "pipe", "pipe"] });
    const runner = new Kept(child, this.logger, this.idleMs, () => {
      if (this.kept.get(identifier) === runner) this.kept.delete(identifier);
    });
    this.kept.set(identifier, runner);
    return runner;
  }

  /**
   * `identifier`'s folder (created): their files folder, the plugin's empty `.env` for their
   * runner, and its environment.
   */
  prepare(identifier) {
    const folder = this.folder(identifier);
    const dirs = { state: path.join(folder, "state"), config: path.join(folder, "config"), files: path.join(folder, "files") };
    for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true, mode: 0o700 });
    const envFile = path.join(folder, "runner.env");
    closeSync(openSync(envFile, "a", 0o600));
    const env = {
      [VARIABLES.cacheDir]: path.join(this.root, "cache"),
      ...operatorEnv(),
      ...this.env(identifier),
      [VARIABLES.stateDir]: dirs.state,
      [VARIABLES.configDir]: dirs.config,
    };
    return { files: dirs.files, envFile, env };
  }

  /** Stops the longest idle runner: whether there was one. */
  stopIdlest() {
    const idle = [...this.kept.values()].filter((r) => r.busy === 0).sort((a, b) => a.used - b.used);
    idle[0]?.stop();
    return idle.length > 0;
  }
}

/** One running `agent-auth mcp`: JSON-RPC over its stdin and stdout, one message per line. */
class Kept {
  constructor(child, logger, idleMs, onGone) {
    Object.assign(this, { child, logger, idleMs, onGone });
    this.pending = new Map();
    this.next = 1;
    this.busy = 0;
    this.used = Date.now();
    this.gone = false;
    this.stderr = "";
    let buffered = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      buffered += chunk;
      let end;
      while ((end = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 1);
        if (line.trim()) this.receive(line);
      }
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => { this.stderr = (this.stderr + chunk).slice(-2000); });
    child.stdin.on("error", () => {});
    child.on("error", (e) => this.end(`cannot run the agent-auth runner: ${e.code ?? e.message}`));
    // After stdout is drained: an answer already written is still read.
    child.on("close", (code) => this.end(`the agent-auth runner stopped (exit ${code}): ${firstLine(this.stderr)}`));
    this.ready = this.send("initialize", {
      protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: "agent-auth-openclaw", version: "0.1.0" },
    }).then(() => this.write({ jsonrpc: "2.0", method: "notifications/initialized" }));
    this.ready.catch(() => {});
  }

  /** Sends `method` once the session is open; the answer's `result`. */
  async request(method, params, signal) {
    await this.ready;
    return this.send(method, params, signal);
  }

  send(method, params, signal) {
    return new Promise((resolve, reject) => {
      if (this.gone) return reject(new Error(this.gone));
      if (signal?.aborted) return reject(new Error("cancelled"));
      const id = this.next++;
      const onAbort = () => {
        this.pending.delete(id);
        this.write({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: id, reason: "cancelled" } });
        reject(new Error("cancelled"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.pending.set(id, { resolve, reject, done: () => signal?.removeEventListener("abort", onAbort) });
      this.write({ jsonrpc: "2.0", id, method, params });
    });
  }

  receive(line) {
    let message;
    try {
      message = JSON.parse(line);
    } catch {
      return this.logger.warn("agent-auth: the runner wrote a line that is not JSON");
    }
    if (message.method !== undefined) {
      // A request from the server (ping, sampling, elicitation): nothing the plugin offers.
      if (message.id !== undefined) {
        const reply = message.method === "ping"
          ? { result: {} }
          : { error: { code: -32601, message: `${message.method} is not offered` } };
        this.write({ jsonrpc: "2.0", id: message.id, ...reply });
      }
      return;
    }
    const waiting = this.pending.get(message.id);
    if (!waiting) return;
    this.pending.delete(message.id);
    waiting.done();
    if (message.error) waiting.reject(new Error(`the runner refused the call: ${message.error.message}`));
    else waiting.resolve(message.result);
  }

  write(message) {
    if (!this.gone) this.child.stdin.write(`${JSON.stringify(message)}\n`);
  }

  /** A call starts: the runner is not idle. */
  hold() {
    this.busy += 1;
    clearTimeout(this.idle);
  }

  /** A call ended: with none left, the runner stops after `idleMs` (one already gone stays so). */
  release() {
    this.busy -= 1;
    this.used = Date.now();
    if (this.busy > 0 || this.gone) return;
    this.idle = setTimeout(() => this.stop(), this.idleMs);
    this.idle.unref?.();
  }

  /** Leaves the pool at once (a new call starts a new runner), then ends the process. */
  stop() {
    clearTimeout(this.idle);
    this.end("the agent-auth runner was stopped");
    this.child.stdin.end();
    const kill = setTimeout(() => this.child.kill("SIGKILL"), 2000);
    kill.unref?.();
  }

  end(reason) {
    if (this.gone) return;
    this.gone = reason;
    clearTimeout(this.idle);
    for (const waiting of this.pending.values()) {
      waiting.done();
      waiting.reject(new Error(reason));
    }
    this.pending.clear();
    this.onGone();
  }
}

/** The operator's settings from the Gateway's environment, and nothing else of it. */
function operatorEnv() {
  return Object.fromEntries(OPERATOR_VARIABLES.filter((name) => process.env[name]).map((name) => [name, process.env[name]]));
}

function firstLine(text) {
  return String(text ?? "").trim().split("\n")[0]?.slice(0, 300) ?? "";
}
