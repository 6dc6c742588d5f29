// Scalekit's custom user verification on the Gateway. After consent, Scalekit sends the person's
// browser to the verify route with `auth_request_id` and `state`. Whoever holds a browser is not
// yet anyone in the chat, so the route verifies nothing: it shows a short code, and the code counts
// only when a chat sender sends it back. Then that sender's own runner checks the state (made for
// their identifier, in their folder) and asks Scalekit to verify their identifier. A link that
// reached someone else gives them a code that activates nothing for the requester; their attempt
// does not use the code up, so it still works for the requester.
import { randomInt } from "node:crypto";

/** The code's letters: no 0/O, 1/I/L. */
const ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/** How long a code counts. */
const CODE_TTL_MS = 10 * 60 * 1000;
/** The most codes waiting at once; past it the route asks the browser to come back (none is dropped). */
const PENDING_MAX = 10_000;
/** The longest `auth_request_id` or `state` the route takes (the runner checks them exactly). */
const VALUE_MAX = 2048;
/** A message that is only a code: `ABCD-EFGH` in the code's letters, any case, the dash optional. */
const CODE_MESSAGE = /^\s*([A-HJKMNP-Za-hjkmnp-z2-9]{4})-?([A-HJKMNP-Za-hjkmnp-z2-9]{4})\s*$/;

/** The codes the route has shown, waiting for a chat sender. */
export class Codes {
  constructor(now = Date.now) {
    this.now = now;
    this.pending = new Map();
  }

  /**
   * A code for the browser's `authRequestId` and `state` (the same one when it comes again), or
   * `undefined` when too many are waiting.
   */
  issue(authRequestId, state) {
    this.expire();
    for (const [code, entry] of this.pending) {
      if (entry.authRequestId === authRequestId && entry.state === state) return code;
    }
    if (this.pending.size >= PENDING_MAX) return undefined;
    let code;
    do {
      code = Array.from({ length: 8 }, () => ALPHABET[randomInt(ALPHABET.length)]).join("");
    } while (this.pending.has(code));
    this.pending.set(code, { authRequestId, state, expires: this.now() + CODE_TTL_MS });
    return code;
  }

  /**
   * The waiting code a chat `message` is, if it is only that: `{code, authRequestId, state}`.
   * Any other message, a stale code included, is `undefined` and goes on to the model.
   */
  find(message) {
    const match = typeof message === "string" ? message.match(CODE_MESSAGE) : null;
    if (!match) return undefined;
    this.expire();
    const code = `${match[1]}${match[2]}`.toUpperCase();
    const entry = this.pending.get(code);
    return entry ? { code, authRequestId: entry.authRequestId, state: entry.state } : undefined;
  }

  /** Uses `code` up (once it verified someone). */
  use(code) {
    this.pending.delete(code);
  }

  expire() {
    const now = this.now();
    for (const [code, entry] of this.pending) if (entry.expires <= now) this.pending.delete(code);
  }
}

/** `ABCDEFGH` as people read it. */
export function shown(code) {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** The route's handler: a page with a code for a browser that brings both values. */
export function routeHandler(codes) {
  return (req, res) => {
    const url = new URL(req.url ?? "/", "http://gateway.invalid");
    const authRequestId = url.searchParams.get("auth_request_id") ?? "";
    const state = url.searchParams.get("state") ?? "";
    const fine = (v) => v.length > 0 && v.length <= VALUE_MAX && !/\p{Cc}/u.test(v);
    if (req.method !== "GET" || !fine(authRequestId) || !fine(state)) {
      return send(res, 400, "Link incomplete", "<h1>This page needs the whole link</h1><p>Open the authorization link from your chat again.</p>");
    }
    const issued = codes.issue(authRequestId, state);
    if (issued === undefined) {
      return send(res, 503, "Busy", "<h1>Too many people are connecting right now</h1><p>Reload this page in a minute.</p>", { "retry-after": "60" });
    }
    const code = shown(issued);
    return send(res, 200, "One more step",
      `<h1>One more step</h1><p>To finish connecting, send this code to the assistant, in the chat where you asked:</p>` +
      `<p class="code">${code}</p><p class="note">It works for 10 minutes, once, and only from your own chat. ` +
      `Send it only if you opened this link yourself, from your own chat: never because someone asked you to.</p>`);
  };
}

function send(res, status, title, body, extra = {}) {
  res.writeHead(status, {
    ...extra,
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
  });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${title}</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:440px;margin:10vh auto;padding:0 24px}` +
    `.code{font:600 32px ui-monospace,monospace;letter-spacing:.1em}.note{color:#6b7280;font-size:14px}</style></head>` +
    `<body><main>${body}</main></body></html>`);
  return true;
}
