const RELATIVE = /^(\d+)(m|h|d|w)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/**
 * Parses a report bound: a relative span back from now (`30m`, `24h`, `7d`, `2w`), a date
 * (`2026-11-01`, midnight UTC) or an ISO 8601 timestamp. Throws a RangeError that says
 * what is accepted.
 */
export function parseTime(text: string, now: number = Date.now()): number {
  const t = text.trim();
  const rel = RELATIVE.exec(t);
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2] as keyof typeof UNIT_MS];
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) {
    const ms = Date.parse(`${t}T00:00:00Z`);
    if (!Number.isNaN(ms)) return ms;
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(t)) {
    const ms = Date.parse(t);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new RangeError(`"${text}" is not a time: use a span like 30m, 24h, 7d, 2w, a date like 2026-11-01, or an ISO timestamp`);
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
