import { parseInstant } from '../../core/instant.js';
import { tokens } from '../../core/usage.js';
import { agentVersion } from '../row.js';

/**
 * Codex CLI rollout lines (usage-formats.md §1.6): `session_meta`, `turn_context` (the
 * model), `event_msg` / `token_count` (usage) and `token_usage_record` (its response id). Pure.
 *
 * Codex follows the OpenAI convention: cached input is part of input, reasoning part of
 * output. `total_token_usage` is cumulative per session, `last_token_usage` the last
 * response's own. The rules:
 * - use `last_token_usage` when present, else the difference of cumulative totals (a total
 *   below the previous one started again from zero, and is the difference itself);
 * - a token_count whose cumulative total did not change repeats the previous one: skipped;
 * - zero usage is skipped, and so is `info: null`.
 */
export interface CodexTokens {
  input: number;
  cached: number;
  /** `cache_write_input_tokens` (GPT-5.6 and later bill cache writes): part of input; absent from a state saved before it was read. */
  cacheWrite?: number;
  output: number;
  reasoning: number;
  total: number;
}

/** What a file's reader carries from line to line, and from one run to the next. */
export interface CodexFileState {
  session: string | null;
  cwd: string | null;
  model: string | null;
  /** The last cumulative total seen. */
  cumulative: CodexTokens | null;
  /** A spawned sub-agent thread's file: the second of its start, when it replays its parent's counts. */
  replaySecond: string | null;
  /** Codex's own version (`session_meta`'s `cli_version`); absent from a state saved before it was kept. */
  version?: string | null;
  /** The last `token_usage_record` not yet followed by its token count: its response id and usage. */
  record?: { responseId: string; thread: string | null; tokens: CodexTokens } | null;
}

export function newCodexFileState(): CodexFileState {
  return { session: null, cwd: null, model: null, cumulative: null, replaySecond: null, version: null, record: null };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function tokensOf(v: unknown): CodexTokens | null {
  if (!isObject(v)) return null;
  const t = { input: tokens(v.input_tokens), cached: tokens(v.cached_input_tokens), cacheWrite: tokens(v.cache_write_input_tokens), output: tokens(v.output_tokens), reasoning: tokens(v.reasoning_output_tokens), total: tokens(v.total_tokens) };
  if (t.total === 0) t.total = t.input + t.output;
  return t;
}

const same = (a: CodexTokens, b: CodexTokens) => a.input === b.input && a.cached === b.cached && (a.cacheWrite ?? 0) === (b.cacheWrite ?? 0) && a.output === b.output && a.reasoning === b.reasoning && a.total === b.total;

export interface CodexUsageEvent {
  ts: number;
  /** The timestamp as written: part of the record's identity. */
  stamp: string;
  model: string | null;
  tokens: CodexTokens;
  /** The provider's response id, from the `token_usage_record` line written just before the count (Codex 0.169), or null. */
  responseId: string | null;
}

/** Whether a record's usage is a token count's own: the same four counts. */
const sameCall = (a: CodexTokens, b: CodexTokens) => a.input === b.input && a.cached === b.cached && a.output === b.output && a.reasoning === b.reasoning;

/** Folds one parsed line into the file state; returns a usage event when the line is a new token count. */
export function codexLine(line: Json, s: CodexFileState): CodexUsageEvent | undefined {
  const payload = line.payload;
  if (!isObject(payload)) return undefined;
  const stamp = typeof line.timestamp === 'string' ? line.timestamp : undefined;
  if (line.type === 'session_meta') {
    if (typeof payload.id === 'string') {
      // Another session's cumulative totals start again from zero.
      if (s.session !== null && payload.id !== s.session) s.cumulative = null;
      s.session = payload.id;
    }
    if (typeof payload.cwd === 'string') s.cwd = payload.cwd;
    const version = agentVersion(payload.cli_version);
    if (version !== null) s.version = version;
    // A sub-agent thread starts by replaying its parent's token counts, all stamped with its start second.
    if (JSON.stringify(payload.source ?? null).includes('thread_spawn')) s.replaySecond = stamp?.slice(0, 19) ?? null;
    return undefined;
  }
  if (line.type === 'turn_context') {
    if (typeof payload.model === 'string' && payload.model) s.model = payload.model;
    if (typeof payload.cwd === 'string') s.cwd = payload.cwd;
    return undefined;
  }
  // Codex 0.169 writes each response's usage with its id (`token_usage_record`) just before the
  // token count of that response: the count stays the source of the numbers, the record names its response.
  if (line.type === 'token_usage_record') {
    const tokens = tokensOf(payload.usage);
    const thread = typeof payload.thread_id === 'string' ? payload.thread_id : null;
    s.record = typeof payload.response_id === 'string' && payload.response_id !== '' && tokens ? { responseId: payload.response_id, thread, tokens } : null;
    return undefined;
  }
  if (line.type !== 'event_msg' || payload.type !== 'token_count' || !isObject(payload.info) || stamp === undefined) return undefined;
  const record = s.record ?? null;
  s.record = null;
  // Not Date.parse: it reads a time without an offset in this machine's zone and rolls 30 February into March.
  const ts = parseInstant(stamp);
  if (ts === undefined) return undefined;
  const total = tokensOf(payload.info.total_token_usage);
  const last = tokensOf(payload.info.last_token_usage);
  let delta: CodexTokens | null = last;
  if (total) {
    const prev = s.cumulative;
    if (prev && same(prev, total)) return undefined;
    // A total below the previous one is a counter that started again (a compacted or resumed
    // conversation): it counts only what came since, so it is the delta itself.
    if (!delta) delta = prev && !restarted(total, prev) ? diff(total, prev) : total;
    s.cumulative = total;
  }
  if (!delta || delta.input + delta.output === 0) return undefined;
  // The count of a response this thread received itself: its record names this thread and the same usage.
  const own = record !== null && sameCall(record.tokens, delta) && (record.thread === null || record.thread === s.session);
  // A sub-agent answered within its first second is no replay: its own count (Codex 0.169) was skipped with the burst.
  if (s.replaySecond !== null && stamp.slice(0, 19) === s.replaySecond && !own) return undefined;
  return { ts, stamp, model: s.model, tokens: delta, responseId: own ? record.responseId : null };
}

const restarted = (a: CodexTokens, b: CodexTokens) => a.input < b.input || a.output < b.output || a.total < b.total;

function diff(a: CodexTokens, b: CodexTokens): CodexTokens {
  const d = (x: number, y: number) => Math.max(0, x - y);
  return { input: d(a.input, b.input), cached: d(a.cached, b.cached), cacheWrite: d(a.cacheWrite ?? 0, b.cacheWrite ?? 0), output: d(a.output, b.output), reasoning: d(a.reasoning, b.reasoning), total: d(a.total, b.total) };
}
