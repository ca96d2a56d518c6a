import { EARLIEST_MS, EARLIEST_TIME, parseInstant, spanMs } from '../core/instant.js';

const DAY_MS = 86_400_000;

/**
 * The refusal of a span (or a window) that starts at `ms`, before EARLIEST_TIME; undefined when it
 * does not. Such a span is a slip (`99999999d` reported from the year -271764).
 */
export function tooEarly(what: string, ms: number, now: number): RangeError | undefined {
  // NaN (no number) is not >= either: refused too.
  if (ms >= EARLIEST_MS) return undefined;
  return new RangeError(`${what} reaches back before ${EARLIEST_TIME}, the earliest time taken: at most ${Math.max(0, Math.floor((now - EARLIEST_MS) / DAY_MS))}d back from now; for everything, write ${EARLIEST_TIME}`);
}

/**
 * Parses a report bound: a relative span back from now (`30m`, `24h`, `7d`, `2w`), a date
 * (`2026-11-01`, midnight UTC) or an ISO 8601 timestamp (UTC without an offset), at or after
 * 1970-01-01. Throws a RangeError that says what is accepted. The CLI's flags and the admin
 * API's query parameters are read here alike.
 */
export function parseTime(text: string, now: number = Date.now()): number {
  const t = text.trim();
  const span = spanMs(t);
  if (span !== undefined) {
    const ms = now - span;
    const early = tooEarly(`"${text}"`, ms, now);
    if (early) throw early;
    return ms;
  }
  const ms = parseInstant(t);
  if (ms !== undefined && ms < EARLIEST_MS) throw new RangeError(`"${text}" is before ${EARLIEST_TIME}, the earliest time taken; for everything, write ${EARLIEST_TIME}`);
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
  // Absent is null or undefined; an empty one (`since=` from an unset variable) is refused, not read as absent.
  const w = { since: since == null ? undefined : parseTime(since, now), until: until == null ? undefined : parseTime(until, now) };
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
