import { createHash } from 'node:crypto';
import { tokens } from '../core/usage.js';
import type { AttrValue, Attrs } from './otlp-model.js';

/** The first non-empty text value among `keys`, looked up in each attribute set in order. */
export function firstText(sets: readonly Attrs[], keys: readonly string[]): string | null {
  for (const attrs of sets) {
    for (const k of keys) {
      // HTTP header attributes are string arrays by the conventions.
      const raw = attrs[k];
      const v = Array.isArray(raw) ? raw[0] : raw;
      if (typeof v === 'string' && v.trim() !== '') return v.trim().slice(0, 200);
      if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    }
  }
  return null;
}

/** A number sent as a number or as decimal text (some exporters stringify every attribute). */
export function numeric(v: AttrValue | undefined): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/**
 * The first of `keys` that holds a number, as a token count: 0 when negative or more than any
 * request has (`tokens`, as the log importers read counts). Such a count used to reach the
 * ledger, whose writer could not store its cost, and the row was set aside for good.
 */
export function count(attrs: Attrs, keys: readonly string[]): number | undefined {
  for (const k of keys) {
    const n = numeric(attrs[k]);
    if (n !== undefined) return tokens(n);
  }
  return undefined;
}

/** A day: longer than any model call, so a longer duration or time to first token is garbage. */
export const MAX_CALL_MS = 86_400_000;

/**
 * A number from 0 to `max`, or undefined (read as absent) for anything else. A huge value
 * used to be stored as a double in an integer column, which the ledger import refuses.
 */
export function upTo(v: AttrValue | undefined, max: number): number | undefined {
  const n = numeric(v);
  return n !== undefined && n >= 0 && n <= max ? n : undefined;
}

const TAG_KEY = /^[A-Za-z0-9_.-]{1,64}$/;

/** Tags from attributes: `tagName → attribute keys`, the first present value wins; at most 256 characters each. */
export function tagsFrom(sets: readonly Attrs[], map: Readonly<Record<string, readonly string[]>>): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [tag, keys] of Object.entries(map)) {
    if (!TAG_KEY.test(tag)) continue;
    const v = firstText(sets, keys);
    if (v !== null) tags[tag] = v.slice(0, 256);
  }
  return tags;
}

/**
 * A deterministic row id shaped like the gateway's UUIDv7: the event's time in the first
 * 48 bits (so ids stay roughly time-ordered in the primary key), then bits of a SHA-256 of
 * the event's identity, with version 8 (custom) instead of 7. The same event always gets
 * the same id, so a re-sent batch is skipped by the ledger's idempotent insert.
 */
export function stableRowId(ts: number, identity: string): string {
  const h = createHash('sha256').update(identity).digest('hex');
  const t = Math.max(0, Math.floor(ts)).toString(16).padStart(12, '0').slice(-12);
  const variant = ((parseInt(h[3]!, 16) & 0x3) | 0x8).toString(16);
  return `${t.slice(0, 8)}-${t.slice(8)}-8${h.slice(0, 3)}-${variant}${h.slice(4, 7)}-${h.slice(7, 19)}`;
}

/**
 * A deterministic row id of the same shape for a call named by its provider request id: every
 * bit from the hash, none from the time. A copy of the call's record stamped at another time (an
 * exporter that stamps a record when it sends it) then gets the same id, which the ledger's
 * idempotent insert skips; a time in the id made each copy a row of its own.
 */
export function requestRowId(identity: string): string {
  const h = createHash('sha256').update(identity).digest('hex');
  const variant = ((parseInt(h[15]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(12, 15)}-${variant}${h.slice(16, 19)}-${h.slice(19, 31)}`;
}

/** 2000-01-01T00:00Z: no exporter of model calls ran before it. */
const EARLIEST_MS = Date.UTC(2000, 0, 1);
/** How far ahead of this server's clock a time may be: more is a broken clock or a hostile sender. */
const AHEAD_MS = 366 * 86_400_000;

/**
 * The time when it is believable, else undefined, so the caller falls back as for an unset
 * time. A time out of range used to be stored as is, and a row dated beyond what a Date can
 * hold broke every export of the ledger.
 */
export function saneTime(ms: number, now = Date.now()): number | undefined {
  return Number.isFinite(ms) && ms >= EARLIEST_MS && ms <= now + AHEAD_MS ? ms : undefined;
}

/** Milliseconds since the epoch from OTLP nanoseconds, or undefined for an unset (zero) or unbelievable time. */
export function nanosToMs(n: bigint): number | undefined {
  return n > 0n ? saneTime(Number(n / 1_000_000n)) : undefined;
}
