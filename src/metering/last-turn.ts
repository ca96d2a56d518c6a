import { hash } from 'node:crypto';

/** The request members that hold the conversation, across the dialects (chat and messages, Responses, Gemini). */
const TURN_LISTS = ['messages', 'input', 'contents'] as const;

/**
 * A short hash (16 hex digits) of a request's last turn: the last message, tool call or
 * tool result the client sent, its call ids left out. Two requests in one session with the same last turn are
 * the same step repeated, which is what an agent stuck in a loop sends. Only the hash is
 * kept, never the text. Null when the body has no conversation.
 *
 * @example lastTurnHash({ messages: [{ role: 'user', content: 'hi' }] }) // '…16 hex digits…'
 */
export function lastTurnHash(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const obj = body as Record<string, unknown>;
  for (const name of TURN_LISTS) {
    const list = obj[name];
    if (Array.isArray(list)) return list.length === 0 ? null : digest(turnText(list[list.length - 1]));
    // The Responses API also takes a bare string as the whole input.
    if (typeof list === 'string') return digest(list);
  }
  return null;
}

/**
 * Ids a provider mints afresh on every call (`tool_call_id`, `tool_use_id`, `call_id`, an item's
 * `id`): a loop repeats the same tool result under a new id each turn, so they are left out.
 */
const CALL_IDS = new Set(['id', 'tool_call_id', 'tool_use_id', 'call_id']);
const MAY_HOLD_IDS = /"(?:id|tool_call_id|tool_use_id|call_id)"/;
const withoutIds = (key: string, value: unknown) => (CALL_IDS.has(key) ? undefined : value);

function turnText(turn: unknown): string | undefined {
  const text = JSON.stringify(turn);
  // Serialised again, without the ids, only when it holds one (most turns are text).
  return text !== undefined && MAY_HOLD_IDS.test(text) ? JSON.stringify(turn, withoutIds) : text;
}

function digest(text: string | undefined): string | null {
  if (text === undefined) return null;
  // One-shot: a third of the cost of a Hash object for a short text.
  return hash('sha256', text, 'hex').slice(0, 16);
}
