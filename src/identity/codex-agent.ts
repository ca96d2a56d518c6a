import { type JsonObject, asObject, parseJson } from '../providers/shared/json.js';
import type { HeaderBag } from '../providers/types.js';

/** A Codex sub-agent's thread and the thread that spawned it. */
export interface CodexAgent {
  agent: string;
  parent: string | null;
}

/**
 * The Codex sub-agent a request comes from: Codex (0.169) sends a spawned agent's requests under its
 * parent's `session-id`, with the agent's own thread as `thread_id` and `parent_thread_id` in
 * `x-codex-turn-metadata` (`thread_source: "subagent"`). Null for a main thread's request.
 */
export function codexAgent(h: HeaderBag, m = codexTurnMetadata(h)): CodexAgent | null {
  if (m === undefined) return null;
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);
  const parent = text(m.parent_thread_id);
  if (m.thread_source !== 'subagent' && parent === null) return null;
  const agent = text(m.thread_id) ?? text(h['thread-id']);
  return agent === null ? null : { agent, parent };
}

/** Codex's `x-codex-turn-metadata` (a JSON object: its session, thread, sub-agent), undefined when absent or malformed (the client's business). */
export function codexTurnMetadata(h: HeaderBag): JsonObject | undefined {
  const meta = h['x-codex-turn-metadata'];
  return meta ? asObject(parseJson(meta)) : undefined;
}
