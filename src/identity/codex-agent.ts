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
export function codexAgent(h: HeaderBag): CodexAgent | null {
  const meta = h['x-codex-turn-metadata'];
  if (!meta) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(meta);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const m = parsed as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);
  const parent = text(m.parent_thread_id);
  if (m.thread_source !== 'subagent' && parent === null) return null;
  const agent = text(m.thread_id) ?? text(h['thread-id']);
  return agent === null ? null : { agent, parent };
}
