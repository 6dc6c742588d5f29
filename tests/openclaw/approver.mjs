// An operator client of the real OpenClaw Gateway's WebSocket that answers plugin approvals.
// It connects with the shared Gateway token, asks for the approval scopes and advertises the
// `plugin-approvals` capability, so the Gateway delivers `plugin.approval.requested` events to it;
// each is answered with `plugin.approval.resolve` using the caller's decide(). No dependencies:
// uses the global WebSocket of Node 22+.
//
// Wire facts (openclaw 2026.9.6, docs/gateway/protocol/{transport,handshake,auth}.md and dist/):
// - frames: req {type:"req", id, method, params}, res {type:"res", id, ok, payload|error},
//   event {type:"event", event, payload}; the Gateway first sends event `connect.challenge`.
// - connect params: protocol 4, client {id:"cli", mode:"cli", version, platform}, role "operator",
//   scopes, caps, auth {token}. Without a device identity the Gateway silently clears the requested
//   scopes, except for a `cli`/`cli` client on a direct loopback connection with the shared token,
//   so the granted scopes (hello-ok.auth.scopes) are checked.
// - for a few seconds after /health first answers, connect fails with a retryable
//   `UNAVAILABLE: gateway starting; retry shortly` (retryAfterMs 500) and the socket closes: retried.
// - event `plugin.approval.requested`, payload {approvalKind:"plugin", id:"plugin:<uuid>",
//   request:{pluginId, title, description, severity, toolName, toolCallId, agentId, sessionKey, ...},
//   createdAtMs, expiresAtMs}; answer: method `plugin.approval.resolve`, params {id, decision}.

const SCOPES = ["operator.approvals", "operator.admin"];
const CAPS = ["plugin-approvals"];
const PROTOCOL = 4;

/**
 * Connects to the Gateway at `url` (ws://127.0.0.1:PORT) with the shared `token`.
 * `decide(payload)` gets the event payload and returns "allow-once", "deny" or null (no answer,
 * so the request times out) (may be async); if it
 * throws, the request is denied.
 * Resolves after the handshake to { requests, close() }; `requests` lists every approval request
 * payload seen (as sent: {approvalKind, id, request:{title, description, toolName, ...}, createdAtMs,
 * expiresAtMs}), each with `decision` (and `error` if decide or the resolve failed) added once
 * answered. close() returns a promise that settles when the socket is closed.
 */
export async function connectApprover({ url, token, decide, timeoutMs = 30000 }) {
  const deadline = Date.now() + timeoutMs;
  const requests = [];
  for (;;) {
    try {
      return await attempt({ url, token, decide, requests, deadline });
    } catch (err) {
      const wait = err.gatewayError?.retryAfterMs ?? 500;
      if (err.gatewayError?.retryable !== true || Date.now() + wait >= deadline) throw err;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

function attempt({ url, token, decide, requests, deadline }) {
  const ws = new WebSocket(url);
  const pending = new Map();
  let nextId = 1;
  let closed = false;
  let onClosed;
  const closedPromise = new Promise((resolve) => (onClosed = resolve));

  const call = (method, params) =>
    new Promise((resolve, reject) => {
      const id = `approver-${nextId++}`;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ type: "req", id, method, params }));
    });

  const answer = async (payload) => {
    const entry = { ...payload };
    requests.push(entry);
    let decision = "deny";
    try {
      decision = await decide(payload);
    } catch (err) {
      entry.error = `decide: ${err?.message ?? err}`;
    }
    entry.decision = decision;
    // `null`: the operator never answers (the request times out at the Gateway).
    if (decision === null) return;
    try {
      await call("plugin.approval.resolve", { id: payload.id, decision });
    } catch (err) {
      entry.error = `resolve: ${err?.message ?? err}`;
    }
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error("approver: no hello-ok before the deadline")),
      Math.max(0, deadline - Date.now()));
    const fail = (err) => {
      clearTimeout(timer);
      reject(err);
      if (!closed) try { ws.close(); } catch {}
    };

    const connect = () =>
      call("connect", {
        minProtocol: PROTOCOL,
        maxProtocol: PROTOCOL,
        client: { id: "cli", mode: "cli", version: "1.0.0", platform: process.platform, displayName: "test approver" },
        role: "operator",
        scopes: SCOPES,
        caps: CAPS,
        auth: { token },
      }).then((hello) => {
        const granted = hello?.auth?.scopes ?? [];
        const missing = SCOPES.filter((s) => !granted.includes(s));
        if (missing.length) return fail(new Error(`approver: Gateway did not grant ${missing.join(", ")}`));
        clearTimeout(timer);
        resolve({
          requests,
          close() {
            if (!closed) ws.close();
            return closedPromise;
          },
        });
      }, fail);

    ws.addEventListener("message", (msg) => {
      let frame;
      try { frame = JSON.parse(String(msg.data)); } catch { return; }
      if (frame.type === "res") {
        const waiter = pending.get(frame.id);
        if (!waiter) return;
        pending.delete(frame.id);
        if (frame.ok) waiter.resolve(frame.payload);
        else waiter.reject(Object.assign(new Error(`${frame.error?.code}: ${frame.error?.message}`), { gatewayError: frame.error }));
      } else if (frame.type === "event") {
        if (frame.event === "connect.challenge") connect();
        else if (frame.event === "plugin.approval.requested") answer(frame.payload);
      }
    });
    ws.addEventListener("error", () => fail(new Error(`approver: WebSocket error on ${url}`)));
    ws.addEventListener("close", (ev) => {
      closed = true;
      onClosed();
      const err = new Error(`approver: socket closed (${ev.code} ${ev.reason})`);
      for (const { reject: rej } of pending.values()) rej(err);
      pending.clear();
      fail(err);
    });
  });
}
