import { parseTime, tooEarly } from '../reports/time.js';

/** A half-open window [since, until) and the text it was written as. */
export interface Window {
  since: number;
  until: number;
  label: string;
}

const DAY = 86_400_000;

/**
 * Reads a window: `A..B` (each a date, an ISO timestamp or a span back from now such as
 * 7d), or ISO 8601's `A/B`, or a name: today, yesterday, this-week, last-week (weeks start on Monday, UTC),
 * this-month, last-month, or `last-7d` / `prev-7d` (the 7 days before now, and the 7
 * before those; any number of hours, days or weeks). Throws a RangeError naming what is accepted.
 *
 * @example parseWindowSpec('2026-11-01..2026-11-08') // { since: Nov 1, until: Nov 8 }
 */
export function parseWindowSpec(text: string, now: number = Date.now()): Window {
  const t = text.trim();
  const range = /^(.+?)(?:\.\.|\/)(.+)$/.exec(t);
  if (range) {
    const since = parseTime(range[1]!, now);
    const until = parseTime(range[2]!, now);
    if (until <= since) throw new RangeError(`window "${text}": the end must be after the start`);
    return { since, until, label: t };
  }
  const named = namedWindow(t.toLowerCase(), now);
  const early = named && tooEarly(`window "${text}"`, named.since, now);
  if (early) throw early;
  if (named) return { ...named, label: t };
  throw new RangeError(
    `"${text}" is not a window: use START..END or START/END (dates, ISO timestamps or spans such as 14d..7d), or today, yesterday, this-week, last-week, this-month, last-month, last-7d, prev-7d`,
  );
}

/**
 * Refuses a comparison whose earlier window starts after its later one (`--from today --to yesterday`):
 * the drivers would read backwards, a client release "moving" to the one it left. `names` are the
 * flags or parameters the windows came from, for the message.
 */
export function checkWindowOrder(from: Window, to: Window, names: [string, string]): void {
  if (from.since <= to.since) return;
  const [f, t] = names;
  throw new RangeError(`${f} (${from.label}) starts after ${t} (${to.label}): ${f} is the earlier window, ${t} the later one; swap them`);
}

function namedWindow(t: string, now: number): { since: number; until: number } | undefined {
  const today = Math.floor(now / DAY) * DAY;
  const monday = today - ((new Date(today).getUTCDay() + 6) % 7) * DAY;
  const d = new Date(now);
  const monthStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const lastMonthStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1);
  switch (t) {
    case 'today':
      return { since: today, until: now };
    case 'yesterday':
      return { since: today - DAY, until: today };
    case 'this-week':
      return { since: monday, until: now };
    case 'last-week':
      return { since: monday - 7 * DAY, until: monday };
    case 'this-month':
      return { since: monthStart, until: now };
    case 'last-month':
      return { since: lastMonthStart, until: monthStart };
  }
  const span = /^(last|prev)-(\d+)(h|d|w)$/.exec(t);
  if (!span) return undefined;
  const ms = Number(span[2]) * { h: 3_600_000, d: DAY, w: 7 * DAY }[span[3] as 'h' | 'd' | 'w'];
  if (ms <= 0) return undefined;
  return span[1] === 'last' ? { since: now - ms, until: now } : { since: now - 2 * ms, until: now - ms };
}
