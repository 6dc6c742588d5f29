// The world around a real OpenClaw Gateway, on loopback: a fake Telegram Bot API (two people,
// 1001 and 1002, write to the bot; what the bot sends is recorded) and a scripted
// OpenAI-compatible model (it calls the tool a message names, then reports the tool's result).
// Nothing here is agent-auth's: it stands for Telegram and for a model account.
//
// A message with a line `call TOOL {json args}` (OpenClaw wraps the person's text in context
// lines) makes the model call TOOL with those arguments; any other
// message is answered with `ok`. After a tool result the model answers `result: <the tool's
// text>`, so the chat shows what the tool gave the model.
import http from "node:http";

/** The Telegram user and chat ids of the two people. */
export const PEOPLE = { alice: 1001, bob: 1002 };

/** Starts both fakes on one loopback port; resolves to the world's handle. */
export async function startWorld() {
  const updates = [];
  const waiting = [];
  const sent = [];
  const modelRequests = [];
  let nextUpdate = 1;
  let nextMessage = 100;

  const bot = (method, body, res) => {
    const answer = (result) => json(res, 200, { ok: true, result });
    switch (method) {
      case "getMe":
        return answer({ id: 123456789, is_bot: true, first_name: "Agent", username: "agent_auth_test_bot",
          can_join_groups: false, can_read_all_group_messages: false, supports_inline_queries: false });
      case "getUpdates": {
        const offset = Number(body.offset ?? 0);
        const pending = () => updates.filter((u) => u.update_id >= offset);
        if (pending().length > 0) return answer(pending());
        const timer = setTimeout(() => finish(), Math.min(Number(body.timeout ?? 0), 5) * 1000);
        const finish = () => {
          clearTimeout(timer);
          const i = waiting.indexOf(finish);
          if (i >= 0) waiting.splice(i, 1);
          answer(pending());
        };
        waiting.push(finish);
        return;
      }
      case "sendMessage": {
        const message = { message_id: nextMessage++, date: now(), chat: { id: Number(body.chat_id), type: "private" },
          text: String(body.text ?? "") };
        sent.push({ chat_id: String(body.chat_id), message_id: message.message_id, text: message.text });
        return answer(message);
      }
      case "editMessageText": {
        const edited = sent.find((m) => m.message_id === Number(body.message_id));
        if (edited) edited.text = String(body.text ?? "");
        return answer(edited ? { message_id: edited.message_id, date: now(), chat: { id: Number(edited.chat_id), type: "private" }, text: edited.text } : true);
      }
      default:
        return answer(true);
    }
  };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    const body = await readBody(req);
    const telegram = url.pathname.match(/^\/tg\/bot[^/]+\/([A-Za-z]+)$/);
    if (telegram) return bot(telegram[1], { ...Object.fromEntries(url.searchParams), ...body }, res);
    if (url.pathname === "/v1/chat/completions") {
      modelRequests.push(body);
      return model(body, res);
    }
    if (url.pathname === "/v1/models") return json(res, 200, { object: "list", data: [{ id: "scripted", object: "model" }] });
    json(res, 404, { error: "not found" });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = server.address().port;

  return {
    port,
    telegramApiRoot: `http://127.0.0.1:${port}/tg`,
    modelBaseUrl: `http://127.0.0.1:${port}/v1`,
    sent,
    modelRequests,
    /** Person `from` (a Telegram id) writes `text` to the bot. */
    dm(from, text) {
      const name = Object.keys(PEOPLE).find((n) => PEOPLE[n] === from) ?? `user${from}`;
      updates.push({ update_id: nextUpdate++, message: { message_id: nextMessage++, date: now(), text,
        from: { id: from, is_bot: false, first_name: name }, chat: { id: from, type: "private", first_name: name } } });
      for (const finish of [...waiting]) finish();
    },
    /** The messages the bot sent to `chat` so far. */
    sentTo(chat) {
      return sent.filter((m) => m.chat_id === String(chat)).map((m) => m.text);
    },
    close() {
      for (const finish of [...waiting]) finish();
      server.closeAllConnections();
      server.close();
    },
  };
}

/** The scripted model: one streamed (or plain) chat completion. */
function model(body, res) {
  const messages = body.messages ?? [];
  const isUser = (m) => m.role === "user" && !text(m).startsWith("<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT");
  let last = -1;
  messages.forEach((m, i) => { if (isUser(m)) last = i; });
  const lines = last >= 0 ? text(messages[last]).split("\n").map((l) => l.trim()) : [];
  const after = messages.slice(last + 1);
  const toolResult = after.find((m) => m.role === "tool");
  const call = lines.map((l) => l.match(/^call ([a-z_]+)\s*(\{.*\})?$/)).find(Boolean);
  let reply;
  if (toolResult) reply = { content: `result: ${text(toolResult)}` };
  else if (call) reply = { tool: { name: call[1], arguments: call[2] ?? "{}" } };
  else reply = { content: "ok" };
  if (body.stream) return stream(res, body.model, reply);
  const message = reply.tool
    ? { role: "assistant", content: null, tool_calls: [toolCall(reply.tool)] }
    : { role: "assistant", content: reply.content };
  json(res, 200, { id: "chatcmpl-scripted", object: "chat.completion", created: now(), model: body.model,
    choices: [{ index: 0, message, finish_reason: reply.tool ? "tool_calls" : "stop" }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } });
}

function stream(res, model, reply) {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const chunk = (delta, finish) => res.write(`data: ${JSON.stringify({ id: "chatcmpl-scripted",
    object: "chat.completion.chunk", created: now(), model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
  if (reply.tool) {
    chunk({ role: "assistant", tool_calls: [{ index: 0, ...toolCall(reply.tool) }] }, null);
    chunk({}, "tool_calls");
  } else {
    chunk({ role: "assistant", content: reply.content }, null);
    chunk({}, "stop");
  }
  res.write(`data: ${JSON.stringify({ id: "chatcmpl-scripted", object: "chat.completion.chunk", created: now(),
    model, choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } })}\n\n`);
  res.end("data: [DONE]\n\n");
}

let calls = 0;
function toolCall(tool) {
  calls += 1;
  return { id: `call_${calls}`, type: "function", function: { name: tool.name, arguments: tool.arguments } };
}

/** A message's text, whether its content is a string or a list of parts. */
function text(message) {
  const c = message.content;
  if (typeof c === "string") return c;
  if (Array.isArray(c)) return c.map((p) => (typeof p === "string" ? p : p.text ?? "")).join("");
  return "";
}

function now() {
  return Math.floor(Date.now() / 1000);
}

function json(res, status, value) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const raw = Buffer.concat(chunks).toString("utf8");
  if (!raw) return {};
  try {
    return JSON.parse(raw);
  } catch {
    return Object.fromEntries(new URLSearchParams(raw));
  }
}
