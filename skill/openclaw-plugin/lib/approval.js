// Which calls ask first (OpenClaw's plugin permission requests), by the operator's `approvals`:
// `none`, `all`, or `writes` (the default). A call is known not to write by the runner's tool
// annotations (a read-only tool; `authorize` only makes a link) or by the operator's lists:
// Scalekit's catalogue does not say which of its tools write, so an `execute_tool` reads only when
// `readOnlyTools` names its tool, and a `proxy_request` only when it is a GET, HEAD or OPTIONS on a
// connection in `readOnlyProxyConnections` (some APIs, Slack's among them, post on a GET).

const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** The most of one argument's value an approval request shows (every argument is named). */
const VALUE_SHOWN_MAX = 200;

/**
 * The approval `call` needs under `config`, or `undefined`: `{title, description}`. `call` is
 * `{tool, params, annotations, identifier, requester}`.
 */
export function approvalFor(config, call) {
  const asks = config.approvals === "all" || (config.approvals === "writes" && writes(config, call));
  if (!asks) return undefined;
  const params = call.params ?? {};
  const what = call.tool === "execute_tool" ? String(params.tool_name) : call.tool;
  const shown = call.tool === "execute_tool" && isObject(params.input)
    ? { connection_name: params.connection_name, ...params.input }
    : params;
  const lines = Object.entries(shown).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}: ${brief(v)}`);
  return {
    title: plain(`agent-auth: ${what} for ${call.identifier}`),
    description: plain(`${call.requester} asks to run ${what} as ${call.identifier}.\n${lines.join("\n")}`),
  };
}

/** Whether the call may change something at the provider. */
export function writes(config, { tool, params, annotations }) {
  if (annotations?.readOnlyHint === true) return false;
  if (annotations?.destructiveHint === false) return false;
  if (tool === "proxy_request") {
    const method = typeof params?.method === "string" ? params.method.trim().toUpperCase() : "GET";
    return !(READ_METHODS.has(method) && config.readOnlyProxyConnections.has(params?.connection_name));
  }
  if (tool === "execute_tool") return !config.readOnlyTools.has(params?.tool_name);
  return true;
}

/** One argument's value, at most VALUE_SHOWN_MAX characters, saying how much was left out. */
function brief(value) {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > VALUE_SHOWN_MAX
    ? `${text.slice(0, VALUE_SHOWN_MAX)}... (${text.length - VALUE_SHOWN_MAX} more characters)`
    : text;
}

/** `text` with control and format characters (bidi overrides, zero widths) shown as `?`. */
function plain(text) {
  return text.replace(/[\p{Cf}]|(?!\n)\p{Cc}/gu, "?");
}

function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
