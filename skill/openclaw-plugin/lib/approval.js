// Which calls ask first (OpenClaw's plugin permission requests), by the operator's `approvals`:
// `none`, `all`, or `writes` (the default). A call is known not to write by the runner's tool
// annotations (a read-only tool; `authorize` only makes a link) or by the operator's lists:
// Scalekit's catalogue does not say which of its tools write, so an `execute_tool` reads only when
// `readOnlyTools` names its tool, and a `proxy_request` only when it is a plain GET, HEAD or
// OPTIONS (no body, no file, no method override) on a connection in `readOnlyProxyConnections`
// (some APIs, Slack's among them, post on a GET).

const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** What the Gateway takes: a longer title or description is refused (and the call with it). */
const TITLE_MAX = 80;
const DESCRIPTION_MAX = 512;
/** The least of each argument's value an approval shows; with less room, the call is refused. */
const VALUE_LEAST = 12;
/** The proxy's own arguments, in the order an approver reads them. */
const PROXY_FIELDS = ["connection_name", "method", "path", "query", "headers", "body", "input_file", "output_file"];

/**
 * What `call` needs under `config`: `undefined` (it runs), `{title, description}` (it asks), or
 * `{refused}` (too many arguments to show an approver). `call` is `{tool, params, annotations,
 * identifier, requester}`.
 */
export function approvalFor(config, call) {
  const asks = config.approvals === "all" || (config.approvals === "writes" && writes(config, call));
  if (!asks) return undefined;
  const params = isObject(call.params) ? call.params : {};
  const what = cut(plain(call.tool === "execute_tool" ? String(params.tool_name) : call.tool), 100);
  const head = plain(`${call.requester} asks to run ${what} as ${call.identifier}.`);
  const fields = shownFields(call.tool, params);
  const room = DESCRIPTION_MAX - head.length - fields.reduce((sum, [key]) => sum + key.length + 3, 0);
  const each = Math.floor(room / Math.max(fields.length, 1));
  if (each < VALUE_LEAST) {
    return { refused: `${fields.length} arguments are too many to show an approver; call with fewer` };
  }
  const lines = fields.map(([key, value]) => `${key}: ${brief(value, each)}`);
  return { title: cut(plain(`agent-auth: ${what} for ${call.identifier}`), TITLE_MAX), description: [head, ...lines].join("\n") };
}

/** Whether the call may change something at the provider. */
export function writes(config, { tool, params, annotations }) {
  if (annotations?.readOnlyHint === true) return false;
  if (annotations?.destructiveHint === false) return false;
  if (tool === "proxy_request") return !plainRead(config, params);
  if (tool === "execute_tool") return !config.readOnlyTools.has(params?.tool_name);
  return true;
}

/** A proxy call that only reads: a bare GET, HEAD or OPTIONS on a connection the operator lists. */
function plainRead(config, params) {
  const method = typeof params?.method === "string" ? params.method.trim().toUpperCase() : "GET";
  const headers = isObject(params?.headers) ? Object.keys(params.headers).map((h) => h.toLowerCase()) : [];
  const overridden = headers.some((h) => h.includes("method-override") || h === "x-http-method");
  return READ_METHODS.has(method) && config.readOnlyProxyConnections.has(params?.connection_name)
    && params?.body === undefined && params?.input_file === undefined && !overridden;
}

/**
 * The arguments as an approver reads them, `[label, value]`: the connection first (the one that
 * runs), then the tool's input under `input.` labels, so no input key can pose as another field.
 */
function shownFields(tool, params) {
  const label = (key) => plain(JSON.stringify(key).slice(1, -1));
  if (tool === "execute_tool") {
    const connection = params.connection_name ?? "(the tool's provider's selected connection)";
    const input = isObject(params.input) ? Object.entries(params.input) : [["input", params.input]];
    return [["connection_name", connection], ...input.map(([key, value]) => [`input.${label(key)}`, value])];
  }
  if (tool === "proxy_request") {
    const known = PROXY_FIELDS.filter((key) => params[key] !== undefined).map((key) => [key, params[key]]);
    const other = Object.entries(params).filter(([key]) => !PROXY_FIELDS.includes(key)).map(([key, value]) => [`other.${label(key)}`, value]);
    return [...known, ...other];
  }
  return Object.entries(params).map(([key, value]) => [label(key), value]);
}

/** A value as JSON (a line break shows as `\n`), at most `most` characters, saying when it was cut. */
function brief(value, most) {
  const text = plain(JSON.stringify(value) ?? "null");
  if (text.length <= most) return text;
  const note = `...(+${text.length - most})`;
  return `${text.slice(0, Math.max(0, most - note.length))}${note}`;
}

/** `text` at most `most` characters. */
function cut(text, most) {
  return text.length <= most ? text : `${text.slice(0, most - 3)}...`;
}

/** `text` with control and format characters (line breaks, bidi overrides, zero widths) shown as `?`. */
function plain(text) {
  return String(text).replace(/[\p{Cf}\p{Cc}]/gu, "?");
}

function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
