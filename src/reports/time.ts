import { MAX_TIME_MS, parseInstant, spanMs } from '../core/instant.js';

/**
 * Parses a report bound: a relative span back from now (`30m`, `24h`, `7d`, `2w`), a date
 * (`2026-11-01`, midnight UTC) or an ISO 8601 timestamp (UTC without an offset). Throws a
 * RangeError that says what is accepted.
 */
export function parseTime(text: string, now: number = Date.now()): number {
  const t = text.trim();
  const span = spanMs(t);
  if (span !== undefined) {
    const ms = now - span;
    if (!(Math.abs(ms) <= MAX_TIME_MS)) throw new RangeError(`"${text}" goes back further than dates go (100,000,000 days before 1970)`);
    return ms;
  }
  const ms = parseInstant(t);
  if (ms !== undefined) return ms;
  // A `+` of an offset sent unescaped in a URL's query arrives as a space.
  const plus = /T\d\d:\d\d(:\d\d(\.\d+)?)? \d\d:?\d\d$/.test(t) ? `; in a URL, write the offset's + as %2B (${t.replace(' ', '%2B')})` : '';
  throw new RangeError(`"${text}" is not a time: use a span like 30m, 24h, 7d, 2w, a date like 2026-11-01, or an ISO timestamp (UTC unless it has an offset)${plus}`);
}

/**
 * Both bounds of a window, each optional (see parseTime). Throws a RangeError when `until`
 * is not after `since`: an empty window is a mistake, not an empty answer.
 */
export function parseTimeWindow(since: string | null | undefined, until: string | null | undefined, now: number = Date.now()): { since?: number; until?: number } {
  const w = { since: since ? parseTime(since, now) : undefined, until: until ? parseTime(until, now) : undefined };
  if (w.since !== undefined && w.until !== undefined && w.until <= w.since) throw new RangeError(`until (${until}) must be after since (${since})`);
  return w;
}

/**
 * A report's window: as parseTimeWindow, but without `until` it ends now, so a report of what was
 * spent leaves out rows dated in the future (a clock ahead, an import), as budgets do.
 */
export function parseReportWindow(since: string | null | undefined, until: string | null | undefined, now: number = Date.now()): { since?: number; until: number } {
  const w = parseTimeWindow(since, until, now);
  if (w.until !== undefined) return { since: w.since, until: w.until };
  if (w.since !== undefined && w.since >= now) throw new RangeError(`since (${since}) must be before now, where the window ends when until is not given`);
  return { since: w.since, until: now };
}
