// Whom a call acts for: the Scalekit identifier of the person who sent the turn, from OpenClaw's
// trusted tool context (channel and sender), through the operator's map. Nothing the model says
// takes part, and a turn the map does not cover is refused.

/** Scalekit's longest identifier. */
export const IDENTIFIER_MAX = 100;

/** A refusal the model can act on: a stable code, what happened, what to do. */
export class Refusal extends Error {
  constructor(code, message, hint) {
    super(`${message} (${code}). ${hint}`);
    this.code = code;
  }
}

/**
 * The person behind `context` (OpenClaw's tool context: `messageChannel`, `requesterSenderId`,
 * `senderIsOwner`) under the operator's `config`: `{identifier, requester}`, where `requester`
 * (`channel:sender`, or `owner`) is what the audit trail records. Throws a [`Refusal`].
 */
export function identify(config, context) {
  const sender = clean(context?.requesterSenderId);
  const channel = clean(context?.messageChannel) ?? "unknown";
  const key = sender === undefined ? undefined : `${channel}:${sender}`;
  if (key !== undefined && Object.hasOwn(config.identities, key)) {
    return checked(config.identities[key], key, `the identities entry for ${key}`);
  }
  if (context?.senderIsOwner === true && config.ownerIdentifier !== undefined) {
    return checked(config.ownerIdentifier, key ?? "owner", "ownerIdentifier");
  }
  if (key !== undefined && config.identityTemplate !== undefined) {
    // Functions, so `$` in a sender is text, never a replacement pattern.
    const identifier = config.identityTemplate.replaceAll("{channel}", () => channel).replaceAll("{sender}", () => sender);
    return checked(identifier, key, "identityTemplate");
  }
  if (key !== undefined) {
    throw new Refusal(
      "IDENTITY_UNMAPPED",
      `${key} has no Scalekit identifier`,
      `The operator adds it to plugins.entries.agent-auth.config.identities, e.g. {"${key}": "their Scalekit identifier"}, or sets identityTemplate.`,
    );
  }
  throw new Refusal(
    "NO_SENDER",
    "this turn has no chat sender, so agent-auth cannot tell whom it acts for",
    "Ask from a chat; for the owner's own turns (openclaw agent, /tools/invoke, cron) the operator sets ownerIdentifier.",
  );
}

function checked(identifier, requester, source) {
  const id = identifier.trim();
  if (id.length === 0 || id.length > IDENTIFIER_MAX || /\p{Cc}/u.test(id)) {
    throw new Refusal(
      "IDENTITY_INVALID",
      `${source} gives an identifier that is empty, longer than ${IDENTIFIER_MAX} characters or not one line`,
      "The operator corrects plugins.entries.agent-auth.config.",
    );
  }
  return { identifier: id, requester };
}

function clean(value) {
  if (typeof value !== "string" && typeof value !== "number") return undefined;
  const text = String(value).trim();
  return text.length > 0 && !/\p{Cc}/u.test(text) ? text : undefined;
}
