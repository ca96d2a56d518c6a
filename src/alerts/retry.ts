/** When and how often a failed webhook delivery is tried again. */
export interface RetryPolicy {
  /** The first retry waits about this long; each further one twice as long. */
  baseMs: number;
  maxDelayMs: number;
  /** Tries in all, the first one included. */
  maxAttempts: number;
  /** The longest `retry-after` honoured; receivers asking for more get this. */
  maxRetryAfterMs: number;
}

/**
 * Twelve tries over about three minutes (0.5 s doubling to 30 s): a receiver restarting or briefly
 * failing still gets the alert. Six (15 s) lost the alerts of a 15-second outage.
 */
export const DEFAULT_RETRY: RetryPolicy = { baseMs: 500, maxDelayMs: 30_000, maxAttempts: 12, maxRetryAfterMs: 60_000 };

/**
 * The wait before retry `n` (0 for the first): 0.5 s, 1 s, 2 s, … up to the cap, give or
 * take 20% so that replicas which failed together do not retry together.
 */
export function backoffMs(p: RetryPolicy, n: number, random: () => number = Math.random): number {
  const nominal = Math.min(p.maxDelayMs, p.baseMs * 2 ** n);
  return Math.round(nominal * (0.8 + 0.4 * random()));
}

/** A `retry-after` header (seconds, or an HTTP date) in ms, capped; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number, capMs: number): number | undefined {
  const text = header?.trim();
  if (!text) return undefined;
  const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(capMs, Math.max(0, ms));
}

/** Timeouts, rate limits and server errors may pass; other 4xx mean the request itself is wrong. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
