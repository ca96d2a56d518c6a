import type { ResponseHeaders } from './retry.js';

/** What a response's rate-limit headers said, with resets as absolute times (ms since the epoch). */
export interface RateSnapshot {
  requests?: { limit: number | undefined; remaining: number; resetAt: number };
  tokens?: { limit: number | undefined; remaining: number; resetAt: number };
}

/**
 * Reads OpenAI-style (`x-ratelimit-*`, resets as Go durations such as `6m0s` or `12ms`) and
 * Anthropic-style (`anthropic-ratelimit-*`, resets as RFC 3339 times) headers. Anthropic's
 * `tokens` is the most restrictive token limit in effect, so it is the one kept.
 */
export function readRateHeaders(h: ResponseHeaders, now: number): RateSnapshot | undefined {
  let snap: RateSnapshot | undefined;
  const openaiReq = num(h['x-ratelimit-remaining-requests']);
  if (openaiReq !== undefined) {
    (snap ??= {}).requests = { limit: num(h['x-ratelimit-limit-requests']), remaining: openaiReq, resetAt: now + (duration(h['x-ratelimit-reset-requests']) ?? 1000) };
  }
  const openaiTok = num(h['x-ratelimit-remaining-tokens']);
  if (openaiTok !== undefined) {
    (snap ??= {}).tokens = { limit: num(h['x-ratelimit-limit-tokens']), remaining: openaiTok, resetAt: now + (duration(h['x-ratelimit-reset-tokens']) ?? 1000) };
  }
  const antReq = num(h['anthropic-ratelimit-requests-remaining']);
  if (antReq !== undefined) {
    (snap ??= {}).requests = { limit: num(h['anthropic-ratelimit-requests-limit']), remaining: antReq, resetAt: time(h['anthropic-ratelimit-requests-reset'], now) };
  }
  const antTok = num(h['anthropic-ratelimit-tokens-remaining']);
  if (antTok !== undefined) {
    (snap ??= {}).tokens = { limit: num(h['anthropic-ratelimit-tokens-limit']), remaining: antTok, resetAt: time(h['anthropic-ratelimit-tokens-reset'], now) };
  }
  return snap;
}

/**
 * The longest a deployment rests for one answer (a 429's wait, a reset its headers name): a day, the
 * longest window a provider's quota counts (requests per day). A longer one is a header misread or
 * garbled (`retry-after: 1e20`), which would keep the deployment out until a restart and past what a
 * date can hold.
 */
export const MAX_REST_MS = 24 * 3_600_000;

/** The longest Claude Code waits for a unified reset (its own code, 2.1.197: `Math.min(wait, 21600000)`). */
export const UNIFIED_RESET_MAX_WAIT_MS = 6 * 3_600_000;

/**
 * How long until a Claude subscription's limit resets (`anthropic-ratelimit-unified-reset`, in
 * seconds since the epoch), in ms, at most 6 hours; undefined without one or once it has passed.
 * Its 429s carry no `retry-after`, and Claude Code itself waits for this reset, 6 hours at the most
 * (its own code, 2.1.197): a weekly limit's reset days away, or a value misread, does not take the
 * deployment out of rotation for days.
 */
export function unifiedResetWaitMs(h: ResponseHeaders, now: number): number | undefined {
  const seconds = num(h['anthropic-ratelimit-unified-reset']);
  if (seconds === undefined) return undefined;
  const wait = seconds * 1000 - now;
  return wait > 0 ? Math.min(wait, UNIFIED_RESET_MAX_WAIT_MS) : undefined;
}

/** A Go-style duration (`1h2m3.5s`, `6m0s`, `12ms`, `0s`) in ms; undefined when unreadable. */
export function parseGoDuration(s: string): number | undefined {
  if (s === '') return undefined;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s|us|µs|ns)/g;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    if (m.index !== consumed) return undefined;
    consumed += m[0].length;
    const v = Number(m[1]);
    const unit = m[2];
    total += unit === 'h' ? v * 3_600_000 : unit === 'm' ? v * 60_000 : unit === 's' ? v * 1000 : unit === 'ms' ? v : v / 1000 / (unit === 'ns' ? 1000 : 1);
  }
  return consumed === s.length ? total : undefined;
}

function duration(v: string | string[] | undefined): number | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  const ms = s === undefined ? undefined : parseGoDuration(s.trim());
  return ms === undefined ? undefined : Math.min(ms, MAX_REST_MS);
}

function time(v: string | string[] | undefined, now: number): number {
  const s = Array.isArray(v) ? v[0] : v;
  const t = s === undefined ? NaN : Date.parse(s);
  return Number.isFinite(t) ? Math.min(t, now + MAX_REST_MS) : now + 1000;
}

function num(v: string | string[] | undefined): number | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (s === undefined || s === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * A response's rate-limit headers as they came (`x-ratelimit-*`, `anthropic-ratelimit-*`, the
 * unified ones of a Claude subscription included); undefined when it has none.
 */
export function rateLimitHeaders(h: ResponseHeaders): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const [name, v] of Object.entries(h)) {
    const value = Array.isArray(v) ? v[0] : v;
    if (value === undefined) continue;
    const n = name.toLowerCase();
    if (n.startsWith('x-ratelimit-') || n.startsWith('anthropic-ratelimit-')) (out ??= {})[n] = value;
  }
  return out;
}
