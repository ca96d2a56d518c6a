import { newRequestId } from '../core/ids.js';
import { scaled } from '../core/money.js';
import { MAX_TIME_MS, isoOrNull, parseInstant } from '../core/instant.js';

/**
 * A unit of delivered work that spend can be divided by: a merged pull request, a closed
 * ticket, a finished task, or any kind a team names. It names where it came from: an agent
 * session, a user and/or a tag (`workflow=review`), so reports can find the spend behind it.
 */
export interface OutcomeEvent {
  /** Idempotency key: posting the same id again records nothing new. */
  id: string;
  kind: string;
  /** When the outcome happened, ms since the epoch. */
  ts: number;
  sessionId: string | null;
  user: string | null;
  tag: { key: string; value: string } | null;
  /** How many outcomes this event is worth, in millionths (1 outcome = 1_000_000). */
  valueMicros: bigint;
  /** When it was recorded. */
  createdAt: number;
}

export const BUILT_IN_KINDS = ['pr_merged', 'ticket_closed', 'task_completed'] as const;

const KIND = /^[a-z][a-z0-9_.-]{0,63}$/;
// No spaces, commas or control characters (a NUL cannot be stored, and would come back as U+FFFD).
const NAME = /^[^\s,\p{Cc}]{1,256}$/u;
const TAG = /^([A-Za-z0-9_.-]{1,64})=([^\s,\p{Cc}]{1,256})$/u;
const MAX_VALUE_MICROS = 1_000_000_000n * 1_000_000n;

/** Input as the admin API and the CLI take it (snake_case JSON). */
export interface OutcomeInput {
  kind?: unknown;
  session?: unknown;
  user?: unknown;
  tag?: unknown;
  ts?: unknown;
  id?: unknown;
  value?: unknown;
}

/**
 * Validates an outcome. Throws a RangeError naming the field and what is accepted.
 * `ts` may be an ISO 8601 timestamp or ms since the epoch; it defaults to `now`.
 */
export function parseOutcome(input: unknown, now: number): OutcomeEvent {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new RangeError('an outcome is a JSON object with at least "kind"');
  const o = input as OutcomeInput;
  const known = new Set(['kind', 'session', 'user', 'tag', 'ts', 'id', 'value']);
  const unknown = Object.keys(o).find((k) => !known.has(k));
  if (unknown) throw new RangeError(`${unknown}: unknown field (use kind, session, user, tag, ts, id, value)`);
  if (typeof o.kind !== 'string' || !KIND.test(o.kind)) throw new RangeError(`kind: must be a lower-case name such as ${BUILT_IN_KINDS.join(', ')} or your own (letters, digits, _ . -; up to 64)`);
  const text = (field: 'session' | 'user' | 'id'): string | null => {
    const v = o[field];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string' || !NAME.test(v)) throw new RangeError(`${field}: must be a string of 1 to 256 characters without spaces, commas or control characters`);
    return v;
  };
  const sessionId = text('session');
  const user = text('user');
  const id = text('id') ?? `out_${newRequestId(now)}`;
  let tag: OutcomeEvent['tag'] = null;
  if (o.tag !== undefined && o.tag !== null) {
    const m = typeof o.tag === 'string' ? TAG.exec(o.tag) : null;
    if (!m) throw new RangeError('tag: must be name=value, e.g. workflow=review');
    tag = { key: m[1]!, value: m[2]! };
  }
  if (sessionId === null && user === null && tag === null) throw new RangeError('an outcome needs a session, a user or a tag, so that spend can be attributed to it');
  return { id, kind: o.kind, ts: parseTs(o.ts, now), sessionId, user, tag, valueMicros: parseValue(o.value), createdAt: now };
}

/** A number, or digits as the CLI passes its flags, is ms since the epoch; text is a date or an ISO timestamp (UTC without an offset). */
function parseTs(v: unknown, now: number): number {
  if (v === undefined || v === null) return now;
  const ms = typeof v === 'number' ? v : typeof v !== 'string' ? Number.NaN : /^\d+$/.test(v.trim()) ? Number(v) : (parseInstant(v) ?? Number.NaN);
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > MAX_TIME_MS) {
    throw new RangeError('ts: must be a date (2026-11-20), an ISO 8601 timestamp (2026-11-20T10:00:00Z; UTC without an offset) or ms since the epoch, and a day that exists');
  }
  return ms;
}

function parseValue(v: unknown): bigint {
  if (v === undefined || v === null) return 1_000_000n;
  let micros: bigint;
  try {
    if (typeof v !== 'number' && typeof v !== 'string') throw new RangeError('');
    micros = scaled(v, 6);
  } catch {
    throw new RangeError('value: must be a positive number with at most 6 decimals (how many outcomes this event is worth; default 1)');
  }
  if (micros <= 0n || micros > MAX_VALUE_MICROS) throw new RangeError('value: must be above 0 and at most 1,000,000,000');
  return micros;
}

/** Micro-units as a plain decimal ("1", "2.5"). */
export function formatValue(micros: bigint): string {
  const whole = micros / 1_000_000n;
  const frac = (micros % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : whole.toString();
}

/** The JSON view the admin API returns and the CLI prints. */
export function outcomeView(o: OutcomeEvent): Record<string, unknown> {
  return {
    id: o.id,
    kind: o.kind,
    ts: isoOrNull(o.ts),
    session: o.sessionId,
    user: o.user,
    tag: o.tag ? `${o.tag.key}=${o.tag.value}` : null,
    value: Number(formatValue(o.valueMicros)),
    created_at: isoOrNull(o.createdAt),
  };
}
