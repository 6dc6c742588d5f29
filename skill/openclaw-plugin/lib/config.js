// The plugin's settings, read once from `plugins.entries.agent-auth.config` (checked by OpenClaw
// against the manifest's `configSchema`, whose defaults are the only ones; SecretRefs resolved):
// what the runner is, the secrets its environment gets, who is who, and when to ask first.
import os from "node:os";
import path from "node:path";

import manifest from "../openclaw.plugin.json" with { type: "json" };
import { CUSTOM_VERIFICATION, VARIABLES } from "./contract.js";

const SCHEMA = manifest.configSchema.properties;

/** The settings in `raw`: `{settings, problems}` (a problem names the field, never its value). */
export function readConfig(raw = {}) {
  const problems = [];
  const text = (key) => {
    const value = raw[key];
    if (value === undefined) return undefined;
    if (typeof value === "string" && value.trim()) return value.trim();
    problems.push(`${key} is not a text (an unresolved SecretRef?)`);
    return undefined;
  };
  const settings = {
    runner: text("runner") ?? SCHEMA.runner.default,
    clientId: text("clientId"),
    clientSecret: text("clientSecret"),
    environmentUrl: text("environmentUrl"),
    mcpUrls: { ...(raw.mcpUrls ?? {}) },
    identities: { ...(raw.identities ?? {}) },
    identityTemplate: template(text("identityTemplate"), problems),
    ownerIdentifier: text("ownerIdentifier"),
    approvals: raw.approvals ?? SCHEMA.approvals.default,
    readOnlyTools: new Set(raw.readOnlyTools ?? []),
    readOnlyProxyConnections: new Set(raw.readOnlyProxyConnections ?? []),
    approvalTimeoutMs: (raw.approvalTimeoutSeconds ?? SCHEMA.approvalTimeoutSeconds.default) * 1000,
    verifyUrl: verifyUrl(text("verifyUrl"), problems),
    idleMs: (raw.runnerIdleSeconds ?? SCHEMA.runnerIdleSeconds.default) * 1000,
    dataDir: dataDir(text("dataDir"), problems),
  };
  return { settings, problems };
}

/** Whether the settings can serve more than one person (the owner counts as one). */
export function servesMany(settings) {
  const people = new Set([...Object.values(settings.identities), settings.ownerIdentifier].filter(Boolean));
  return settings.identityTemplate !== undefined || people.size > 1;
}

/**
 * What the runner of `identifier` needs to know: its credentials (or its own hosted MCP URL) and
 * the user verification. `undefined` when the config gives it no way to reach Scalekit.
 */
export function runnerEnv(settings, identifier) {
  const env = {};
  const mcpUrl = Object.hasOwn(settings.mcpUrls, identifier) ? settings.mcpUrls[identifier] : undefined;
  if (mcpUrl !== undefined) env[VARIABLES.mcpUrl] = mcpUrl;
  else if (settings.clientId && settings.clientSecret && settings.environmentUrl) {
    env[VARIABLES.clientId] = settings.clientId;
    env[VARIABLES.clientSecret] = settings.clientSecret;
    env[VARIABLES.environmentUrl] = settings.environmentUrl;
  } else return undefined;
  if (settings.verifyUrl) {
    env[VARIABLES.verification] = CUSTOM_VERIFICATION;
    env[VARIABLES.verifyUrl] = settings.verifyUrl.href;
  }
  return env;
}

/**
 * The folder of every person's folder: absolute, and by default in the user's state folder (the
 * runner writes no file under OpenClaw's own folder).
 */
function dataDir(value, problems) {
  if (value !== undefined && !path.isAbsolute(value)) problems.push("dataDir must be an absolute path");
  if (value !== undefined && path.isAbsolute(value)) return value;
  return path.join(process.env.XDG_STATE_HOME || path.join(os.homedir(), ".local/state"), "agent-auth-openclaw");
}

/** A template gives everyone their own identifier only with both the channel and the sender in it. */
function template(value, problems) {
  if (value === undefined) return undefined;
  if (!value.includes("{channel}") || !value.includes("{sender}")) {
    problems.push("identityTemplate must hold both {channel} and {sender}, or two people would share an identifier");
    return undefined;
  }
  return value;
}

/**
 * The verify URL, when set: https, on a name the person's browser reaches (the Gateway's public
 * address); a loopback one is refused, since the Gateway's route serves every person's links.
 */
function verifyUrl(value, problems) {
  if (value === undefined) return undefined;
  let url;
  try {
    url = new URL(value);
  } catch {
    problems.push("verifyUrl is not a URL");
    return undefined;
  }
  const loopback = ["localhost", "[::1]"].includes(url.hostname) || url.hostname.startsWith("127.");
  if (url.protocol !== "https:" || loopback || url.username || url.password || url.search || url.hash) {
    problems.push("verifyUrl must be the Gateway's public https URL of the route, without credentials, query or fragment");
    return undefined;
  }
  return url;
}
