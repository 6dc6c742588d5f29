// Authorization links go to the person, never to the model: a result that asks a person to act
// has its link sent to the requester's own direct chat (OpenClaw's `delivery.send`) and taken out
// of what the model reads, wherever and however it appears. (OpenClaw keeps what it sent in that
// person's own transcript, which its session tools can read back; see the README.)

/** `action_required.delivered` of a link that reached the person's chat. */
export const SENT_NOTE = "sent to the person's chat";
/** What the model reads in place of a link. */
const SENT = "[the link was sent to the person's chat]";
/** What the model reads in place of a link that was not sent. */
const WITHHELD = "[the link is withheld: it goes only to the person's own direct chat]";

/**
 * `result` (the runner's JSON for a call) with its link, if any, sent to the person's direct chat
 * through `context.delivery` and replaced: `{result, sent, problem}` (`problem`: why it was not
 * sent, never the link).
 */
export async function deliverLink(result, context) {
  const link = result?.action_required?.link;
  if (typeof link !== "string" || link.length === 0) return { result, sent: false, problem: undefined };
  const message = typeof result.action_required.message === "string" ? result.action_required.message : "Open this link:";
  let sent = false;
  let problem = "this turn has no delivery to the person's chat";
  if (!isDirect(context)) {
    problem = "this turn's chat is not the person's direct chat";
  } else if (typeof context?.delivery?.send === "function") {
    try {
      await context.delivery.send({ text: `${message}\n${link}` });
      sent = true;
    } catch (e) {
      problem = `the chat did not take it: ${replaced(String(e?.message ?? e), [link], "[link]").slice(0, 200)}`;
    }
  }
  const scrubbed = replaced(result, [link], sent ? SENT : WITHHELD);
  scrubbed.action_required.delivered = sent ? SENT_NOTE : "not sent: no direct chat with the person in this turn";
  return { result: scrubbed, sent, problem: sent ? undefined : problem };
}

/**
 * Whether the turn's conversation is the sender's own direct chat, where a link reaches only them:
 * the delivery target is exactly the sender (Telegram's `telegram:1001`, a `user:U1` target); a
 * group, a topic or a thread is not.
 */
export function isDirect(context) {
  const sender = context?.requesterSenderId;
  const to = context?.deliveryContext?.to;
  const channel = context?.messageChannel ?? context?.deliveryContext?.channel;
  if (typeof sender !== "string" || sender.length === 0 || typeof to !== "string") return false;
  return to === `${channel}:${sender}` || to === `user:${sender}`;
}

/** A copy of `value` (text, or JSON values) with every form of each of `links` replaced by `with_`. */
function replaced(value, links, with_) {
  if (typeof value === "string") {
    return links.flatMap(forms).reduce((text, form) => text.split(form).join(with_), value);
  }
  if (Array.isArray(value)) return value.map((item) => replaced(item, links, with_));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replaced(item, links, with_)]));
  }
  return value;
}

/** The ways `link` can appear in a text: as is, or percent-encoded. */
function forms(link) {
  return [...new Set([link, encodeURIComponent(link), encodeURI(link)])];
}
