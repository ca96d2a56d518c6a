/**
 * The de-duplication rules for Claude Code transcripts (usage-formats.md §1.5). Pure.
 *
 * One API response is written as one line per content block, each repeating the message
 * id, request id and usage, with placeholder output on early blocks; resumed sessions copy
 * lines into new files; a side question or sub-agent replays a parent message under a new
 * request id with `isSidechain: true`. So:
 * - copies with the same message id and request id are one response, and the copy with
 *   the largest token total wins (ties: a `speed` field present, then the non-sidechain copy);
 * - copies with the same message id and different request ids are one response when either
 *   is a sidechain copy, and the non-sidechain copy wins;
 * - lines without a message id are never merged.
 */

/** What is remembered of the copy kept so far, across runs (compact: it is saved to disk). */
export interface Kept {
  /** Request id ('' when the line had none). */
  r: string;
  /** 1 for a sidechain copy. */
  s: 0 | 1;
  /** Token total. */
  t: number;
  /** 1 when `speed` was present. */
  f: 0 | 1;
  /** Day (ms since the epoch / 86.4e6, floored), to forget old messages. */
  d: number;
}

export type Memory = Map<string, Kept[]>;

export interface Candidate {
  messageId: string;
  requestId: string | null;
  sidechain: boolean;
  total: number;
  fast: boolean;
  ts: number;
}

/** keep: this copy is (now) the one that counts; replaces: the request id of the copy it displaces, if different. */
export type Verdict = { keep: false } | { keep: true; replaces?: string };

export function offer(memory: Memory, c: Candidate): Verdict {
  const req = c.requestId ?? '';
  const next: Kept = { r: req, s: c.sidechain ? 1 : 0, t: c.total, f: c.fast ? 1 : 0, d: Math.floor(c.ts / 86_400_000) };
  const list = memory.get(c.messageId);
  if (!list) {
    memory.set(c.messageId, [next]);
    return { keep: true };
  }
  const i = list.findIndex((e) => e.r === req || e.s === 1 || c.sidechain);
  if (i < 0) {
    list.push(next);
    return { keep: true };
  }
  const e = list[i]!;
  if (!better(next, e)) return { keep: false };
  list[i] = next;
  return e.r === req ? { keep: true } : { keep: true, replaces: e.r };
}

function better(c: Kept, e: Kept): boolean {
  if (c.r !== e.r && c.s !== e.s) return c.s === 0;
  if (c.t !== e.t) return c.t > e.t;
  if (c.f !== e.f) return c.f === 1;
  return c.s === 0 && e.s === 1;
}

/** Forgets messages last seen before `day` (Claude Code itself deletes transcripts after 30 days by default). */
export function forget(memory: Memory, day: number): void {
  for (const [id, list] of memory) if (list.every((k) => k.d < day)) memory.delete(id);
}
