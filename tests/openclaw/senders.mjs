// Two people write to one OpenClaw agent on Telegram; each acts as themselves through the
// agent-auth plugin. Run by tests/openclaw.rs (which reads Scalekit's side afterwards) with:
//   AGENT_AUTH_BIN   the runner
//   SCALEKIT_URL     the virtual Scalekit on loopback (in custom user verification), CLIENT_ID and
//                    CLIENT_SECRET its credentials (the secret reaches the plugin as a SecretRef)
//   AGENT_AUTH_CACHE_DIR  the compile cache the runners share
//   WORK             an empty folder for the Gateway's home
// Asserts what the people, the model and the Gateway see; prints a JSON report as its last line.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { connectApprover } from "./approver.mjs";
import { freePort, gatewayHome, startGateway, until } from "./gateway.mjs";
import { PEOPLE, startWorld } from "./world.mjs";

const plugin = path.join(path.dirname(fileURLToPath(import.meta.url)), "../../skill/openclaw-plugin");
const { AGENT_AUTH_BIN, SCALEKIT_URL, CLIENT_ID, CLIENT_SECRET, WORK, AGENT_AUTH_CACHE_DIR } = process.env;
const STRANGER = 1003;
/** The operator's own Telegram id: plugin approvals in Telegram turns need an approver. */
const OPERATOR = 9999;
const TOKEN = "gateway-token-for-the-test-6d1f0c";
/** The Gateway's public address as Scalekit knows it (the test's browser goes to loopback). */
const PUBLIC = "https://gateway.agent-auth.invalid";

const world = await startWorld();
const home = gatewayHome(path.join(WORK, "gateway"), {
  gateway: { mode: "local" },
  models: {
    providers: {
      scripted: {
        baseUrl: world.modelBaseUrl, apiKey: "x", api: "openai-completions",
        models: [{ id: "scripted", name: "scripted", reasoning: false, input: ["text"],
          cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, contextWindow: 128000, maxTokens: 4096 }],
      },
    },
  },
  agents: { defaults: { model: { primary: "scripted/scripted" }, heartbeat: { every: "0m" } } },
  session: { dmScope: "per-channel-peer" },
  // As the README tells operators: one session per person, and session tools that see only it.
  tools: { toolSearch: false, sessions: { visibility: "self" } },
  channels: {
    telegram: { enabled: true, botToken: "123456789:AAFakeTokenForTheTestsOnly0123456789", apiRoot: world.telegramApiRoot,
      dmPolicy: "allowlist", allowFrom: [String(PEOPLE.alice), String(PEOPLE.bob), String(STRANGER)],
      execApprovals: { enabled: true, approvers: [String(OPERATOR)] } },
  },
  plugins: {
    entries: {
      "agent-auth": {
        enabled: true,
        config: {
          runner: AGENT_AUTH_BIN, clientId: CLIENT_ID, environmentUrl: SCALEKIT_URL,
          clientSecret: { source: "env", provider: "default", id: "SCALEKIT_CLIENT_SECRET_FOR_THE_GATEWAY" },
          identities: { [`telegram:${PEOPLE.alice}`]: "alice", [`telegram:${PEOPLE.bob}`]: "bob" },
          readOnlyTools: ["exa_search", "notion_page_get"],
          readOnlyProxyConnections: ["notion-ijIQedmJ"],
          approvalTimeoutSeconds: 10,
          verifyUrl: `${PUBLIC}/agent-auth/verify`,
        },
      },
    },
  },
}, { SCALEKIT_CLIENT_SECRET_FOR_THE_GATEWAY: CLIENT_SECRET, ...(AGENT_AUTH_CACHE_DIR ? { AGENT_AUTH_CACHE_DIR } : {}) });
home.cli(["plugins", "install", plugin, "--force", "--accept-capabilities"]);
const gateway = await startGateway(home, await freePort(), TOKEN);
const report = { turns: [] };
// The operator's approval client: allows one post of Alice's, leaves one unanswered, denies the rest.
const approver = await connectApprover({
  url: gateway.url.replace("http:", "ws:"),
  token: TOKEN,
  decide: (payload) => {
    const { description } = payload.request;
    if (description.includes("allowed post")) return "allow-once";
    return description.includes("unanswered post") ? null : "deny";
  },
});
try {
  /** Person `from` writes `text`; resolves to the bot's reply to them once the turn is over. */
  const turn = async (from, text) => {
    const before = world.sentTo(from).length;
    world.dm(from, text);
    const reply = await until(() => world.sentTo(from).slice(before).find((t) => /^(result|ok)/.test(t)), `the reply to ${from}`, 90_000);
    const messages = world.sentTo(from).slice(before);
    report.turns.push({ from, text, reply, messages });
    return { reply, messages };
  };
  const exa = (extra = {}) => `call execute_tool ${JSON.stringify({ tool_name: "exa_search", input: { query: "wasm components" }, ...extra })}`;

  // Alice reads with her own account.
  const alice = await turn(PEOPLE.alice, exa());
  assert.match(alice.reply, /"ok":true/, alice.reply);
  assert.match(alice.reply, /"identifier":"alice"/, alice.reply);

  // Bob asks to read Alice's Notion page as Alice: the model passes her identifier, and Bob still
  // gets Bob's account, which is not connected: the link goes to Bob's chat, and only there.
  const page = { tool_name: "notion_page_get", input: { page_id: "59833787-2cf9-4fdf-8782-e53db20768a5" } };
  const bob = await turn(PEOPLE.bob, `call execute_tool ${JSON.stringify({ ...page, identifier: "alice" })}`);
  assert.match(bob.reply, /AUTHORIZATION_REQUIRED/, bob.reply);
  assert.match(bob.reply, /sent to their own chat/, bob.reply);
  const link = bob.messages.map((t) => t.match(/https?:\/\/[^\s"<>]+\/magic\/[^\s"<>]+/)?.[0]).find(Boolean);
  assert.ok(link, `Bob's chat got the link: ${JSON.stringify(bob.messages)}`);
  assert.ok(!JSON.stringify(world.sentTo(PEOPLE.alice)).includes(link), "Alice never sees Bob's link");
  assert.ok(!JSON.stringify(world.modelRequests).includes(link), "the model never reads the link");
  report.link = link;
  // With the session tools limited to one's own session (as the README says), Alice's model
  // cannot search Bob's, where OpenClaw keeps what it sent him.
  const probe = await turn(PEOPLE.alice, 'call sessions_search {"query":"magic"}');
  assert.match(probe.reply, /"results"/, probe.reply);
  assert.ok(!probe.reply.includes("/magic/") && !probe.reply.includes(":1002"), probe.reply);

  // Custom user verification: someone's browser approves the link, then the verify route shows
  // a code that counts only when the link's own requester sends it in their chat.
  const codeFor = async (magicLink) => {
    const consent = await fetch(magicLink, { method: "POST", redirect: "manual" });
    const next = consent.headers.get("location") ?? "";
    assert.ok(next.startsWith(`${PUBLIC}/agent-auth/verify?`), `Scalekit sends the browser to the verify route: ${next}`);
    const page = await fetch(next.replace(PUBLIC, gateway.url));
    const html = await page.text();
    assert.equal(page.status, 200, html);
    return html.match(/class="code">([A-Z0-9]{4}-[A-Z0-9]{4})</)[1];
  };
  // Bob's link reached Alice, who approves it and sends the code from her chat: refused.
  const stolen = await codeFor(link);
  world.dm(PEOPLE.alice, stolen);
  const refusal = await until(() => world.sentTo(PEOPLE.alice).find((t) => t.startsWith("Not connected")), "the refusal");
  assert.match(refusal, /VERIFICATION_REFUSED/, refusal);
  // Bob asks again, approves his own link and sends its code: his account is connected, as his.
  const again = await turn(PEOPLE.bob, `call execute_tool ${JSON.stringify(page)}`);
  const second = again.messages.map((t) => t.match(/https?:\/\/[^\s"<>]+\/magic\/[^\s"<>]+/)?.[0]).find(Boolean);
  assert.ok(second && second !== link, `a new link for Bob: ${JSON.stringify(again.messages)}`);
  world.dm(PEOPLE.bob, await codeFor(second));
  const connected = await until(() => world.sentTo(PEOPLE.bob).find((t) => t.startsWith("Connected")), "Bob's confirmation");
  report.verification = { refusal, connected };
  const bobReads = await turn(PEOPLE.bob, `call execute_tool ${JSON.stringify(page)}`);
  assert.match(bobReads.reply, /"ok":true/, bobReads.reply);
  assert.match(bobReads.reply, /"identifier":"bob"/, bobReads.reply);

  // A write waits for the operator: allowed, it runs; denied, nothing is sent.
  const post = (text) => `call execute_tool ${JSON.stringify({ tool_name: "slack_send_message", input: { channel: "general", text } })}`;
  const allowed = await turn(PEOPLE.alice, post("allowed post from alice"));
  assert.match(allowed.reply, /"ok":true/, allowed.reply);
  const denied = await turn(PEOPLE.alice, post("denied post from alice"));
  assert.doesNotMatch(denied.reply, /"ok":true/, denied.reply);
  assert.match(denied.reply, /[Dd]enied/, denied.reply);
  const unanswered = await turn(PEOPLE.alice, post("unanswered post from alice"));
  assert.match(unanswered.reply, /timed out/i, unanswered.reply);
  const asked = approver.requests.map((r) => ({ title: r.request.title, decision: r.decision }));
  report.approvals = asked;
  assert.deepEqual(asked, [
    { title: "agent-auth: slack_send_message for alice", decision: "allow-once" },
    { title: "agent-auth: slack_send_message for alice", decision: "deny" },
    { title: "agent-auth: slack_send_message for alice", decision: null },
  ], "only the three writes asked; the reads ran without asking");

  // The proxy, saving to a file: a relative name lands in Alice's own files folder.
  const saved = await turn(PEOPLE.alice, `call proxy_request ${JSON.stringify({ connection_name: "notion-ijIQedmJ", path: "/v1/users/me", output_file: "me.json" })}`);
  assert.match(saved.reply, /"saved_to":"[^"]+\/files\/me\.json"/, saved.reply);

  // Alice and Bob at the same time: each turn runs in its own runner and folder.
  const [aliceAgain, bobSearch] = await Promise.all([
    turn(PEOPLE.alice, exa()),
    turn(PEOPLE.bob, `call search_tools ${JSON.stringify({ query: "read a notion page" })}`),
  ]);
  assert.match(aliceAgain.reply, /"identifier":"alice"/, aliceAgain.reply);
  assert.match(bobSearch.reply, /notion_page_get/, bobSearch.reply);

  // Someone the operator did not map is refused, with the entry to add.
  const stranger = await turn(STRANGER, exa());
  assert.match(stranger.reply, /IDENTITY_UNMAPPED/, stranger.reply);
  assert.match(stranger.reply, /telegram:1003/, stranger.reply);

  // A turn without a sender (the Gateway token's /tools/invoke) is refused; the Gateway shows the
  // caller a generic failure and its log the reason.
  const invoked = await gateway.invoke("execute_tool", { tool_name: "exa_search", input: { query: "x" } });
  report.invoke = invoked;
  assert.equal(invoked.status, 500, JSON.stringify(invoked));
  await until(() => gateway.output().includes("(NO_SENDER)"), "the refusal in the Gateway's log", 10_000);
} finally {
  await approver.close();
  gateway.stop();
  world.close();
  writeFileSync(path.join(WORK, "model-requests.json"), JSON.stringify(world.modelRequests, null, 1));
  writeFileSync(path.join(WORK, "gateway-output.txt"), gateway.output());
}
report.modelRequests = world.modelRequests.length;
console.log(JSON.stringify(report));
