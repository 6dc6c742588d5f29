// The OpenClaw plugin's cost, measured (run by `cargo bench -p agent-auth --bench openclaw_plugin`,
// which serves the virtual Scalekit and passes AGENT_AUTH_BIN, SCALEKIT_URL, CLIENT_ID,
// CLIENT_SECRET, AGENT_AUTH_CACHE_DIR and WORK):
// 1. a tool call through the plugin (its tool object, as the Gateway calls it) against the same
//    call sent straight to a kept `agent-auth mcp` (the runner alone), paired, one after the
//    other;
// 2. a runner spawned for each call (start, handshake, call, exit) against the kept one;
// 3. the Gateway's memory without the plugin, with it loaded, and with people's runners running.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import plugin from "../../skill/openclaw-plugin/index.js";
import { freePort, gatewayHome, startGateway } from "./gateway.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const { AGENT_AUTH_BIN, SCALEKIT_URL, CLIENT_ID, CLIENT_SECRET, AGENT_AUTH_CACHE_DIR, WORK } = process.env;
const CALL = { tool_name: "exa_search", input: { query: "wasm components" } };
const PAIRS = 400;
const SPAWNED = 40;

const config = { runner: AGENT_AUTH_BIN, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, environmentUrl: SCALEKIT_URL,
  identities: { "telegram:1001": "alice" }, approvals: "none" };
const runnerEnv = { TOOL_CLIENT_ID: CLIENT_ID, TOOL_CLIENT_SECRET: CLIENT_SECRET, TOOL_ENV_URL: SCALEKIT_URL,
  AGENT_AUTH_CACHE_DIR, HOME: path.join(WORK, "alone"), AGENT_AUTH_STATE_DIR: path.join(WORK, "alone/state") };

/** A bare MCP client of one `agent-auth mcp`: one JSON line out, one in. */
async function bareRunner() {
  const child = spawn(AGENT_AUTH_BIN, ["mcp", "--identifier", "alice"], { env: runnerEnv, stdio: ["pipe", "pipe", "ignore"] });
  let buffered = "";
  const waiting = new Map();
  child.stdout.setEncoding("utf8").on("data", (chunk) => {
    buffered += chunk;
    let end;
    while ((end = buffered.indexOf("\n")) >= 0) {
      const message = JSON.parse(buffered.slice(0, end));
      buffered = buffered.slice(end + 1);
      waiting.get(message.id)?.(message);
    }
  });
  let id = 0;
  const send = (method, params) => new Promise((resolve) => {
    id += 1;
    waiting.set(id, resolve);
    child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
  });
  await send("initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "0" } });
  child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`);
  return { call: (args) => send("tools/call", { name: "execute_tool", arguments: args }), stop: () => child.stdin.end(), child };
}

/** The plugin's `execute_tool`, registered as the Gateway would, for Alice's Telegram turn. */
function pluginTool() {
  const tools = new Map();
  const services = [];
  plugin.register({
    pluginConfig: config,
    config: { session: { dmScope: "per-channel-peer" }, tools: { sessions: { visibility: "self" } } },
    logger: { info() {}, warn: console.error, error: console.error },
    registerTool: (factory, { name }) => tools.set(name, factory),
    registerService: (service) => services.push(service),
    registerHttpRoute() {},
    on() {},
  });
  services[0].start({ stateDir: path.join(WORK, "plugin") });
  const context = { messageChannel: "telegram", requesterSenderId: "1001", senderIsOwner: false, delivery: { send: async () => {} } };
  return { execute: (args) => tools.get("execute_tool")(context).execute("call", args), stop: () => services[0].stop() };
}

const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fixed = (x) => x.toFixed(3);

// 1. Through the plugin, and the runner alone, paired.
const alone = await bareRunner();
const through = pluginTool();
for (let i = 0; i < 20; i++) {
  await alone.call(CALL);
  await through.execute(CALL);
}
const bare = [];
const glued = [];
for (let i = 0; i < PAIRS; i++) {
  const first = i % 2 === 0;
  for (const which of first ? ["bare", "glued"] : ["glued", "bare"]) {
    const start = process.hrtime.bigint();
    if (which === "bare") {
      const answer = await alone.call(CALL);
      if (answer.result?.structuredContent?.ok !== true) throw new Error(JSON.stringify(answer));
      bare.push(ms(start));
    } else {
      const answer = await through.execute(CALL);
      if (answer.details.result.ok !== true) throw new Error(JSON.stringify(answer));
      glued.push(ms(start));
    }
  }
}
const overhead = glued.map((g, i) => g - bare[i]);
console.log(`tool call, ${PAIRS} pairs: runner alone p50 ${fixed(median(bare))} ms; through the plugin p50 ${fixed(median(glued))} ms; overhead p50 ${fixed(median(overhead))} ms`);
alone.stop();
through.stop();

// 2. A runner spawned for each call.
const spawned = [];
for (let i = 0; i < SPAWNED; i++) {
  const start = process.hrtime.bigint();
  const runner = await bareRunner();
  const answer = await runner.call(CALL);
  if (answer.result?.structuredContent?.ok !== true) throw new Error(JSON.stringify(answer));
  runner.stop();
  await new Promise((resolve) => runner.child.once("exit", resolve));
  spawned.push(ms(start));
}
console.log(`a runner spawned per call, ${SPAWNED} calls: p50 ${fixed(median(spawned))} ms (kept: ${fixed(median(glued))} ms)`);

// 3. The Gateway's memory.
const rss = (pid) => Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)[1]) / 1024;
/**
 * RSS of the Gateway's processes (the CLI may run it in a child) and of each agent-auth runner
 * among them, in MiB.
 */
const memory = (pid) => {
  const children = (p) => readFileSync(`/proc/${p}/task/${p}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  const all = [];
  const walk = (p) => { all.push(p); for (const c of children(p)) walk(c); };
  walk(pid);
  const runners = all.filter((p) => readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0")[0] === AGENT_AUTH_BIN);
  const gateway = all.filter((p) => !runners.includes(p)).reduce((sum, p) => sum + rss(p), 0);
  return { gateway, runners: runners.map(rss) };
};
const settle = () => new Promise((r) => setTimeout(r, 8000));
const gatewayConfig = (withPlugin) => ({
  gateway: { mode: "local" },
  agents: { defaults: { heartbeat: { every: "0m" } } },
  session: { dmScope: "per-channel-peer" },
  tools: { sessions: { visibility: "self" } },
  ...(withPlugin ? { plugins: { entries: { "agent-auth": { enabled: true, config: { ...config, ownerIdentifier: "alice" } } } } } : {}),
});
const measured = {};
for (const withPlugin of [false, true]) {
  const home = gatewayHome(path.join(WORK, withPlugin ? "with" : "without"), gatewayConfig(withPlugin), { AGENT_AUTH_CACHE_DIR });
  if (withPlugin) home.cli(["plugins", "install", path.join(here, "../../skill/openclaw-plugin"), "--force", "--accept-capabilities"]);
  const gateway = await startGateway(home, await freePort(), "bench-token");
  try {
    await settle();
    measured[withPlugin ? "loaded" : "without"] = memory(gateway.pid).gateway;
    if (withPlugin) {
      for (let i = 0; i < 10; i++) {
        const answer = await gateway.invoke("execute_tool", CALL);
        if (answer.status !== 200) throw new Error(JSON.stringify(answer));
      }
      measured.calls = memory(gateway.pid);
    }
  } finally {
    gateway.stop();
  }
}
console.log(`Gateway RSS: without the plugin ${measured.without.toFixed(1)} MiB; with it loaded ${measured.loaded.toFixed(1)} MiB; ` +
  `after 10 owner calls ${measured.calls.gateway.toFixed(1)} MiB, plus ${measured.calls.runners.length} runner(s) of ${measured.calls.runners.map((r) => r.toFixed(1)).join(", ")} MiB`);
