// agent-auth as an OpenClaw plugin. Thin glue around the agent-auth runner, which holds all the
// flow logic:
// - the tools are the runner's MCP tools (`agent-auth mcp --list-tools`), schemas and all;
// - each call runs in the caller's own kept runner (`./lib/runners.js`), for the Scalekit
//   identifier their chat sender maps to (`./lib/identity.js`), never one the model names;
// - a link for the person goes to their direct chat, not to the model (`./lib/links.js`);
// - writes ask first, as the operator says (`./lib/approval.js`);
// - with Scalekit's custom user verification, the Gateway serves the verify route and a link
//   finishes only when its own chat sender sends back the route's code (`./lib/verify.js`);
// - the client secret lives in the plugin's config and reaches only the runner (`./lib/config.js`).
import manifest from "./openclaw.plugin.json" with { type: "json" };
import { approvalFor } from "./lib/approval.js";
import { readConfig, runnerEnv, servesMany } from "./lib/config.js";
import { FLAGS, flag } from "./lib/contract.js";
import { identify, Refusal } from "./lib/identity.js";
import { deliverLink, SENT_NOTE } from "./lib/links.js";
import { listTools, Runners } from "./lib/runners.js";
import { Codes, routeHandler } from "./lib/verify.js";

/** The DM scopes that give each person a conversation of their own. */
const SEPARATE_DM_SCOPES = new Set(["per-peer", "per-channel-peer", "per-account-channel-peer"]);
/** The tools each runner command lists, read once per Gateway process. */
const listings = new Map();

export default {
  id: manifest.id,
  name: manifest.name,
  description: manifest.description,
  register(api) {
    const { settings, problems } = readConfig(api.pluginConfig ?? {});
    for (const problem of problems) api.logger.error(`agent-auth: ${problem}`);
    const shared = sharedSessions(api.config);
    if (servesMany(settings) && shared.length > 0) {
      // Another person's conversation, results and links would be in reach of the model.
      for (const risk of shared) api.logger.error(`agent-auth: no tools: this config serves many people, and ${risk}`);
      return;
    }
    if (servesMany(settings) && !settings.verifyUrl) {
      api.logger.warn("agent-auth: links are not verified (no verifyUrl): whoever opens a person's link connects their own account to that person; set up Scalekit's custom user verification");
    }
    const tools = toolsOf(settings.runner, api.logger);
    const pool = { runners: undefined };
    const runners = () => {
      pool.runners ??= new Runners({
        command: settings.runner,
        root: settings.dataDir,
        env: (identifier) => runnerEnv(settings, identifier),
        idleMs: settings.idleMs,
        logger: api.logger,
      });
      return pool.runners;
    };
    const stop = () => {
      pool.runners?.stopAll();
      pool.runners = undefined;
    };
    api.registerService({ id: "agent-auth-runners", start() {}, stop });
    api.on("gateway_stop", stop);

    const glue = { settings, runners, logger: api.logger };
    for (const name of manifest.contracts.tools) {
      const listed = tools.get(name);
      if (listed) api.registerTool((context) => tool(listed, context, glue), { name });
    }

    if (settings.verifyUrl) verification(api, settings, runners);

    api.on("before_tool_call", (event, ctx) => {
      const listed = tools.get(event.toolName);
      if (!listed) return undefined;
      const requester = ctx?.requester ?? {};
      let who;
      try {
        who = identify(settings, {
          messageChannel: requester.channel,
          requesterSenderId: requester.senderId,
          senderIsOwner: requester.senderIsOwner,
        });
      } catch {
        // Unknown here: the call itself refuses or finds the person; a write still asks.
        who = { identifier: "(not known to the hook)", requester: "(no sender)" };
      }
      let ask;
      try {
        ask = approvalFor(settings, { tool: event.toolName, params: event.params, annotations: listed.annotations, ...who });
      } catch {
        // OpenClaw lets a call through a hook that throws: this one asks instead.
        ask = { title: `agent-auth: ${event.toolName}`, description: "A call whose arguments could not be shown." };
      }
      if (!ask) return undefined;
      if (ask.refused) return { block: true, blockReason: `agent-auth: ${ask.refused}` };
      return {
        requireApproval: {
          ...ask,
          severity: "warning",
          timeoutMs: settings.approvalTimeoutMs,
          allowedDecisions: ["allow-once", "deny"],
        },
      };
    }, { matcher: manifest.contracts.tools });
  },
};

/**
 * What in the Gateway's config lets one person's model read another's conversation (results and
 * links): one session for every DM, or session tools that reach other sessions.
 */
function sharedSessions(config) {
  const risks = [];
  const scopes = [
    ["session.dmScope", config?.session?.dmScope ?? "main"],
    ...(Array.isArray(config?.bindings) ? config.bindings : [])
      .map((binding, i) => [`bindings[${i}].session.dmScope`, binding?.session?.dmScope])
      .filter(([, scope]) => scope !== undefined),
  ];
  for (const [where, scope] of scopes) {
    if (!SEPARATE_DM_SCOPES.has(scope)) {
      risks.push(`${where} is "${scope}" (people's DMs share a conversation): set it to "per-channel-peer"`);
    }
  }
  const visibility = config?.tools?.sessions?.visibility ?? "all";
  if (visibility !== "self") {
    risks.push(`tools.sessions.visibility is "${visibility}" (the model can read other people's sessions): set it to "self"`);
  }
  return risks;
}

/**
 * Serves the verify route on the Gateway (no Gateway token: it is the person's browser) and
 * finishes a link when a chat sender sends the route's code: their runner checks the state and
 * asks Scalekit to verify their identifier, never another.
 */
function verification(api, settings, runners) {
  const codes = new Codes();
  api.registerHttpRoute({ path: settings.verifyUrl.pathname, auth: "plugin", match: "exact", handler: routeHandler(codes) });
  api.on("before_dispatch", async (event, ctx) => {
    const found = codes.find(event?.content ?? event?.body);
    if (found === undefined) return undefined;
    let who;
    try {
      who = identify(settings, {
        messageChannel: event.channel ?? ctx?.channelId,
        requesterSenderId: event.senderId ?? ctx?.senderId,
        senderIsOwner: false,
      });
    } catch (e) {
      return { handled: true, text: e.message };
    }
    const args = [
      FLAGS.verifyUser,
      flag(FLAGS.authRequestId, found.authRequestId),
      flag(FLAGS.state, found.state),
      flag(FLAGS.identifier, who.identifier),
    ];
    try {
      const result = await runners().runOnce(who.identifier, who.requester, args);
      if (result.ok !== true) {
        return { handled: true, text: `Not connected: ${result.error?.message} (${result.error?.code}). Ask for a new link.` };
      }
      codes.use(found.code);
      return { handled: true, text: `Connected: ${result.connection_name} is ready for you.` };
    } catch (e) {
      return { handled: true, text: `Not connected: ${e.message}. Ask for a new link.` };
    }
  });
}

/** The runner's tools by name; empty (and said in the log) when the runner cannot list them. */
function toolsOf(command, logger) {
  if (!listings.has(command)) {
    try {
      listings.set(command, new Map(listTools(command).map((t) => [t.name, t])));
    } catch (e) {
      logger.error(`agent-auth: no tools: ${e.message}. Install the runner (see the plugin's README) or set plugins.entries.agent-auth.config.runner.`);
      return new Map();
    }
  }
  return listings.get(command);
}

/** The OpenClaw tool for `listed` (one of the runner's tools) in the turn `context`. */
function tool(listed, context, { settings, runners, logger }) {
  return {
    name: listed.name,
    label: listed.name,
    description: listed.description,
    parameters: listed.inputSchema,
    outputSchema: { type: "object", properties: { result: listed.outputSchema }, required: ["result"] },
    async execute(_toolCallId, params, signal) {
      const who = identify(settings, context);
      if (runnerEnv(settings, who.identifier) === undefined) {
        throw new Refusal(
          "CONFIG_MISSING",
          "the plugin has no Scalekit credentials for this person",
          "The operator sets clientId, clientSecret and environmentUrl (or mcpUrls) in plugins.entries.agent-auth.config.",
        );
      }
      const answer = await runners().call(who.identifier, who.requester, listed.name, params ?? {}, signal);
      const { result, problem } = await deliverLink(answer?.structuredContent ?? {}, context);
      if (problem) logger.warn(`agent-auth: a link for ${who.requester} was not sent: ${problem}`);
      if (result.ok !== true) throw new Error(explained(result, listed.name));
      return { content: [{ type: "text", text: JSON.stringify(result) }], details: { result } };
    },
  };
}

/** A failed call, for the model: what failed, what to do, and where a link went. */
function explained(result, tool) {
  const error = result.error ?? {};
  const lines = [`${error.message ?? "the call failed"} (${error.code ?? "INTERNAL_ERROR"}).`];
  const action = result.action_required;
  const again = `When they say they are done, call ${tool} again (or wait_for_authorization with the connection_name).`;
  if (action?.delivered === SENT_NOTE) {
    lines.push("A link for the person to authorize was sent to their own chat; do not ask for it or repeat it.", again);
  } else if (action?.delivered !== undefined) {
    lines.push("The person must authorize first, and the link goes only to their own direct chat: they should ask there.");
  } else if (typeof action?.message === "string") {
    lines.push(`Tell the person: ${action.message}`);
  } else if (error.hint) {
    lines.push(error.hint);
  }
  return lines.join("\n");
}
