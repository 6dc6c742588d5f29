// The plugin's own rules, without a Gateway (run by tests/openclaw.rs with `node --test`, with
// AGENT_AUTH_BIN naming the runner): whom a turn acts for, which calls ask first, where a link
// goes, the verify route's codes, the runners' life, and the hooks as the Gateway calls them.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";

import plugin from "../../skill/openclaw-plugin/index.js";
import { approvalFor, writes } from "../../skill/openclaw-plugin/lib/approval.js";
import { readConfig, runnerEnv } from "../../skill/openclaw-plugin/lib/config.js";
import { identify } from "../../skill/openclaw-plugin/lib/identity.js";
import { deliverLink, isDirect, SENT_NOTE } from "../../skill/openclaw-plugin/lib/links.js";
import { Runners } from "../../skill/openclaw-plugin/lib/runners.js";
import { Codes, routeHandler, shown } from "../../skill/openclaw-plugin/lib/verify.js";

const settings = (raw) => readConfig(raw).settings;
const telegram = (sender, more = {}) => ({ messageChannel: "telegram", requesterSenderId: sender, senderIsOwner: false,
  deliveryContext: { channel: "telegram", to: `telegram:${sender}` }, ...more });

test("an explicit entry wins, so one person on two channels is one identifier", () => {
  const s = settings({ identities: { "telegram:1001": "alice", "slack:U1": "alice" }, identityTemplate: "{channel}:{sender}" });
  assert.deepEqual(identify(s, telegram("1001")), { identifier: "alice", requester: "telegram:1001" });
  assert.deepEqual(identify(s, { messageChannel: "slack", requesterSenderId: "U1" }), { identifier: "alice", requester: "slack:U1" });
  assert.deepEqual(identify(s, telegram("1002")), { identifier: "telegram:1002", requester: "telegram:1002" });
});

test("an unmapped sender without a template is refused with the entry to add", () => {
  const s = settings({ identities: { "telegram:1001": "alice" } });
  assert.throws(() => identify(s, telegram("1002")), (e) => e.code === "IDENTITY_UNMAPPED" && e.message.includes('{"telegram:1002": '));
});

test("a turn without a sender is refused unless the operator names the owner's identifier", () => {
  const s = settings({ identityTemplate: "{channel}:{sender}" });
  assert.throws(() => identify(s, { senderIsOwner: true }), (e) => e.code === "NO_SENDER");
  assert.throws(() => identify(s, {}), (e) => e.code === "NO_SENDER");
  const owned = settings({ ownerIdentifier: "ops" });
  assert.deepEqual(identify(owned, { senderIsOwner: true }), { identifier: "ops", requester: "owner" });
  assert.throws(() => identify(owned, { senderIsOwner: false }), (e) => e.code === "NO_SENDER");
});

test("a template gives each sender their own identifier, whatever the sender holds", () => {
  const s = settings({ identityTemplate: "{channel}:{sender}" });
  const id = (sender) => identify(s, telegram(sender)).identifier;
  assert.deepEqual(["$$x", "$x", "$&", "$'"].map(id), ["telegram:$$x", "telegram:$x", "telegram:$&", "telegram:$'"]);
  assert.throws(() => identify(settings({ identityTemplate: `${"x".repeat(95)}:{channel}:{sender}` }), telegram("123456")),
    (e) => e.code === "IDENTITY_INVALID");
  for (const template of ["{sender}", "shared", "{channel}"]) {
    const { settings: read, problems } = readConfig({ identityTemplate: template });
    assert.equal(read.identityTemplate, undefined, template);
    assert.match(problems[0], /\{channel\} and \{sender\}/);
  }
});

test("reads run, writes ask, as the operator says", () => {
  const read = { readOnlyHint: true };
  const destructive = { readOnlyHint: false, destructiveHint: true };
  const s = settings({ readOnlyTools: ["exa_search", "notion_page_get"], readOnlyProxyConnections: ["notion-1"] });
  const w = (call) => writes(s, { annotations: destructive, ...call });
  assert.equal(writes(s, { tool: "search_tools", annotations: read }), false);
  assert.equal(writes(s, { tool: "authorize", annotations: { readOnlyHint: false, destructiveHint: false } }), false);
  assert.equal(w({ tool: "proxy_request", params: { connection_name: "notion-1", method: " get " } }), false);
  assert.equal(w({ tool: "proxy_request", params: { connection_name: "notion-1" } }), false);
  assert.equal(w({ tool: "proxy_request", params: { connection_name: "notion-1", method: "DELETE" } }), true);
  assert.equal(w({ tool: "proxy_request", params: { connection_name: "notion-1", body: { a: 1 } } }), true, "a GET with a body asks");
  assert.equal(w({ tool: "proxy_request", params: { connection_name: "notion-1", input_file: "f" } }), true);
  assert.equal(w({ tool: "proxy_request", params: { connection_name: "notion-1", headers: { "X-HTTP-Method-Override": "DELETE" } } }), true);
  assert.equal(w({ tool: "proxy_request", params: { connection_name: "slack-main", method: "GET", path: "/api/chat.postMessage" } }), true,
    "a GET on a connection not listed asks: Slack posts on a GET");
  assert.equal(w({ tool: "execute_tool", params: { tool_name: "exa_search" } }), false);
  assert.equal(w({ tool: "execute_tool", params: { tool_name: "notion_page_create" } }), true, "names are exact");
  assert.equal(w({ tool: "execute_tool", params: { tool_name: "slack_send_message" } }), true);
});

test("an approval shows every argument under its own label, within what the Gateway takes", () => {
  const s = settings({});
  const base = { tool: "execute_tool", annotations: { destructiveHint: true }, identifier: "alice", requester: "telegram:1001" };
  const call = { ...base, params: { tool_name: "gmail_send\u202Eemail",
    input: { body: "x".repeat(5000), to: "attacker@evil.example", connection_name: "gmail-sandbox", "note\nchannel": "#x" } } };
  const ask = approvalFor(s, call);
  assert.equal(ask.title, "agent-auth: gmail_send?email for alice", "format characters are shown as ?");
  assert.ok(ask.title.length <= 80 && ask.description.length <= 512, ask.description.length);
  const lines = ask.description.split("\n");
  assert.equal(lines[0], "telegram:1001 asks to run gmail_send?email as alice.");
  assert.equal(lines[1], "connection_name: \"(the tool's provider's selected connection)\"", "the connection that runs, first");
  assert.ok(lines.includes('input.to: "attacker@evil.example"'), ask.description);
  assert.ok(lines.includes('input.connection_name: "gmail-sandbox"'), "an input key cannot pose as the connection");
  assert.ok(lines.some((l) => l.startsWith("input.note\\nchannel: ")), "a line break in a key shows as \\n");
  assert.ok(lines.some((l) => l.startsWith('input.body: "xxx') && /\.\.\.\(\+\d+\)$/.test(l)), "a long value says it was cut");
  const long = approvalFor(s, { ...base, identifier: "alexandra.richardson@example-company.com",
    params: { tool_name: "googlesheets_batch_update_values_by_data_filter", input: {} } });
  assert.ok(long.title.length <= 80, long.title);
  const crowded = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`field_${i}`, i]));
  assert.match(approvalFor(s, { ...base, params: { tool_name: "t", input: crowded } }).refused, /too many/);
  assert.equal(approvalFor(settings({ approvals: "none" }), call), undefined);
  const lookup = { ...call, tool: "search_tools", annotations: { readOnlyHint: true } };
  assert.equal(approvalFor(s, lookup), undefined);
  assert.ok(approvalFor(settings({ approvals: "all" }), lookup).title);
});

test("a link goes to the person's direct chat and nowhere in what the model reads", async () => {
  const link = "https://acme.scalekit.cloud/magic/ml_1?x=1&y=2";
  const result = { ok: false, error: { code: "AUTHORIZATION_REQUIRED", message: `open ${link} or ${encodeURIComponent(link)}`, hint: "h" },
    links: [link], action_required: { kind: "authorize", message: "Open this link to connect gmail.", link } };
  const sent = [];
  const direct = { ...telegram("1002"), delivery: { send: async (m) => sent.push(m.text) } };
  const delivered = await deliverLink(result, direct);
  assert.deepEqual(sent, [`Open this link to connect gmail.\n${link}`]);
  assert.equal(delivered.sent, true);
  assert.equal(delivered.result.action_required.delivered, SENT_NOTE);
  assert.ok(!JSON.stringify(delivered.result).includes("ml_1"), JSON.stringify(delivered.result));

  const group = { ...direct, deliveryContext: { channel: "telegram", to: "telegram:-100555" } };
  const inGroup = await deliverLink(result, group);
  assert.equal(inGroup.sent, false, "never into a group");
  assert.equal(sent.length, 1);
  const failing = await deliverLink(result, { ...direct, delivery: { send: async () => { throw new Error(`no route for ${link}`); } } });
  assert.equal(failing.sent, false);
  assert.ok(!JSON.stringify(failing).includes("ml_1"), "a failure names no link");
  const none = await deliverLink(result, {});
  assert.ok(!JSON.stringify(none.result).includes("ml_1"));
  const direct_ = (to) => isDirect({ messageChannel: "telegram", requesterSenderId: "1001", deliveryContext: { to } });
  assert.equal(direct_("telegram:1001"), true);
  assert.equal(direct_("user:1001"), true);
  for (const other of ["telegram:10011", "telegram:-100555:topic:1001", "slack:channel:1001", "1001", undefined]) {
    assert.equal(direct_(other), false, other);
  }
});

test("secrets go only to the runner's environment, and a bad verify URL is refused", () => {
  const s = settings({ clientId: "skc_1", clientSecret: "s3cret", environmentUrl: "https://acme.scalekit.cloud",
    mcpUrls: { bob: "https://acme.scalekit.cloud/mcp/v3/instances/mcpi_1?token=t" }, verifyUrl: "https://gw.example.com/agent-auth/verify" });
  assert.deepEqual(runnerEnv(s, "alice"), { TOOL_CLIENT_ID: "skc_1", TOOL_CLIENT_SECRET: "s3cret", TOOL_ENV_URL: "https://acme.scalekit.cloud",
    AGENT_AUTH_USER_VERIFICATION: "custom", AGENT_AUTH_VERIFY_URL: "https://gw.example.com/agent-auth/verify" });
  assert.equal(runnerEnv(s, "bob").TOOL_MCP_URL, "https://acme.scalekit.cloud/mcp/v3/instances/mcpi_1?token=t");
  assert.equal(runnerEnv(s, "bob").TOOL_CLIENT_SECRET, undefined, "a person with an MCP URL gets no client secret");
  assert.equal(runnerEnv(settings({}), "alice"), undefined);
  for (const url of ["http://gw.example.com/v", "https://127.0.0.1/v", "https://localhost/v", "https://u:p@gw.example.com/v", "https://gw.example.com/v?x=1", "nope"]) {
    const { settings: bad, problems } = readConfig({ verifyUrl: url });
    assert.equal(bad.verifyUrl, undefined, url);
    assert.equal(problems.length, 1, url);
    assert.ok(!problems[0].includes(url), "a problem never repeats the value");
  }
  const unresolved = readConfig({ clientSecret: { source: "env", provider: "default", id: "X" } });
  assert.equal(unresolved.settings.clientSecret, undefined);
  assert.match(unresolved.problems[0], /clientSecret/);
});

test("a verify code counts within its time, for the values it was shown for, until it verified", () => {
  let now = 0;
  const codes = new Codes(() => now);
  const code = codes.issue("ar_1", "st_1");
  assert.match(code, /^[A-HJKMNP-Z2-9]{8}$/);
  assert.equal(codes.issue("ar_1", "st_1"), code, "a reload shows the same code");
  for (const other of ["hello", "password", "ZZZZ-ZZZZ", "PROJ-1234", "2024-1231"]) assert.equal(codes.find(other), undefined, other);
  assert.deepEqual(codes.find(` ${shown(code).toLowerCase()} `), { code, authRequestId: "ar_1", state: "st_1" });
  assert.ok(codes.find(shown(code)), "a refused attempt does not use it up");
  codes.use(code);
  assert.equal(codes.find(shown(code)), undefined, "used up once it verified");
  const later = codes.issue("ar_2", "st_2");
  now += 10 * 60 * 1000;
  assert.equal(codes.find(shown(later)), undefined, "expired");
});

test("the verify route shows a code only for a whole link, and drops none when flooded", () => {
  const codes = new Codes();
  const handle = routeHandler(codes);
  const answer = (method, url) => {
    const res = { writeHead(status, headers) { Object.assign(this, { status, headers }); }, end(body) { this.body = body; } };
    handle({ method, url }, res);
    return res;
  };
  const page = answer("GET", "/agent-auth/verify?auth_request_id=ar_1&state=st_1");
  assert.equal(page.status, 200);
  assert.equal(page.headers["cache-control"], "no-store");
  assert.equal(page.headers["referrer-policy"], "no-referrer");
  const code = page.body.match(/class="code">([A-Z0-9]{4}-[A-Z0-9]{4})</)[1];
  assert.deepEqual(codes.find(code), { code: code.replace("-", ""), authRequestId: "ar_1", state: "st_1" });
  assert.ok(!page.body.includes("st_1"), "the page repeats no state");
  assert.equal(answer("GET", "/agent-auth/verify?state=st_1").status, 400);
  assert.equal(answer("POST", "/agent-auth/verify?auth_request_id=a&state=s").status, 400);
  assert.equal(answer("GET", `/agent-auth/verify?auth_request_id=a&state=${"s".repeat(3000)}`).status, 400);
  let busy;
  for (let i = 0; i < 10_001 && busy === undefined; i++) {
    const flood = answer("GET", `/agent-auth/verify?auth_request_id=f${i}&state=s`);
    if (flood.status !== 200) busy = flood;
  }
  assert.equal(busy.status, 503);
  assert.equal(busy.headers["retry-after"], "60");
  assert.ok(codes.find(code), "the first code is still there");
});

/** The plugin registered as the Gateway would, with `config`: its tools and hooks. */
function registered(pluginConfig, gatewayConfig = { session: { dmScope: "per-channel-peer" }, tools: { sessions: { visibility: "self" } } }) {
  const tools = new Map();
  const hooks = {};
  const logged = [];
  plugin.register({
    pluginConfig: { runner: process.env.AGENT_AUTH_BIN, ...pluginConfig },
    config: gatewayConfig,
    logger: { info() {}, warn: (m) => logged.push(m), error: (m) => logged.push(m) },
    registerTool: (factory, { name }) => tools.set(name, factory),
    registerService() {},
    registerHttpRoute() {},
    on: (name, handler) => { hooks[name] = handler; },
  });
  return { tools, hooks, logged };
}

test("a write asks even when the hook cannot tell who is calling", () => {
  const { hooks } = registered({ identities: { "telegram:1001": "alice" } });
  const ask = hooks.before_tool_call({ toolName: "execute_tool", params: { tool_name: "slack_send_message", input: {} } }, {});
  assert.ok(ask?.requireApproval, JSON.stringify(ask));
  const read = hooks.before_tool_call({ toolName: "search_tools", params: {} }, {});
  assert.equal(read, undefined);
});

test("the owner is one more person, and every DM scope counts", () => {
  const ownerAndAlice = { identities: { "telegram:1001": "alice" }, ownerIdentifier: "ops" };
  assert.equal(registered(ownerAndAlice, {}).tools.size, 0);
  const bound = { session: { dmScope: "per-channel-peer" }, tools: { sessions: { visibility: "self" } },
    bindings: [{ match: { channel: "telegram" }, session: { dmScope: "main" } }] };
  const shared = registered({ identities: { "telegram:1001": "alice", "telegram:1002": "bob" } }, bound);
  assert.equal(shared.tools.size, 0);
  assert.ok(shared.logged.some((m) => m.includes("bindings[0].session.dmScope")), shared.logged.join("\n"));
});

test("a config for many people with shared sessions registers no tools", () => {
  const many = { identities: { "telegram:1001": "alice", "telegram:1002": "bob" } };
  const shared = registered(many, {});
  assert.equal(shared.tools.size, 0);
  assert.ok(shared.logged.some((m) => m.includes("session.dmScope")) && shared.logged.some((m) => m.includes("tools.sessions.visibility")));
  const separate = registered(many);
  assert.equal(separate.tools.size, 7);
  assert.ok(separate.logged.some((m) => m.includes("no verifyUrl")), "and says links are not verified");
  assert.equal(registered({ identities: { "telegram:1001": "alice", "slack:U1": "alice" } }, {}).tools.size, 7, "one person may share");
});

test("a runner stopped for idleness leaves at once: the next call starts another", async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), "agent-auth-runners-"));
  const env = () => ({ TOOL_CLIENT_ID: "x", TOOL_CLIENT_SECRET: "y", TOOL_ENV_URL: "sandbox" });
  const runners = new Runners({ command: process.env.AGENT_AUTH_BIN, root, env, idleMs: 1, logger: console });
  try {
    const first = await runners.call("alice", "telegram:1001", "list_connections", {});
    assert.equal(first.structuredContent.ok, true, JSON.stringify(first));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(runners.kept.has("alice"), false, "stopped after idleMs");
    // A call right after a stop, before the old process has exited, gets a new runner.
    await runners.call("alice", "telegram:1001", "list_connections", {});
    const old = runners.kept.get("alice");
    old.stop();
    assert.equal(runners.kept.has("alice"), false, "gone from the pool as soon as it stopped");
    const second = await runners.call("alice", "telegram:1001", "list_connections", {});
    assert.equal(second.structuredContent.ok, true, JSON.stringify(second));
    assert.notEqual(runners.kept.get("alice"), old);
    const [a, b] = await Promise.all([
      runners.call("alice", "telegram:1001", "list_connections", {}),
      runners.call("bob", "telegram:1002", "list_connections", {}),
    ]);
    assert.ok(a.structuredContent.ok && b.structuredContent.ok);
    assert.notEqual(runners.folder("alice"), runners.folder("bob"));
  } finally {
    runners.stopAll();
  }
});
