import { DateTime } from 'luxon';

/**
 * A budget's window: a calendar period in a time zone (`day`, `week` (ISO, from Monday),
 * `month`, `quarter`), or a rolling span such as `5h`, `90m` or `7d`.
 */
export type WindowSpec = { kind: 'calendar'; unit: CalendarUnit } | { kind: 'rolling'; ms: number };

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** Rolling windows are summed from this many buckets, so they expire spend in small steps. */
export const ROLLING_BUCKETS = 60;
const MIN_ROLLING_MS = 10 * UNIT_MS.m;
const MAX_ROLLING_MS = 90 * UNIT_MS.d;

export function parseWindow(text: string): WindowSpec {
  const t = text.trim().toLowerCase();
  if (t === 'day' || t === 'week' || t === 'month' || t === 'quarter') return { kind: 'calendar', unit: t };
  const m = /^(\d+)\s*([mhd])$/.exec(t);
  if (!m) throw new RangeError(`window "${text}": use day, week, month, quarter, or a rolling span such as 5h, 90m or 7d`);
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  if (ms < MIN_ROLLING_MS || ms > MAX_ROLLING_MS) throw new RangeError(`window "${text}": a rolling window must be between 10m and 90d`);
  return { kind: 'rolling', ms };
}

export function formatWindow(w: WindowSpec): string {
  if (w.kind === 'calendar') return w.unit;
  for (const [unit, size] of [['d', UNIT_MS.d], ['h', UNIT_MS.h]] as const) if (w.ms % size === 0) return `${w.ms / size}${unit}`;
  return `${w.ms / UNIT_MS.m}m`;
}

/** Words for messages: "daily", "monthly", "rolling 5h". */
export function describeWindow(w: WindowSpec): string {
  if (w.kind === 'rolling') return `rolling ${formatWindow(w)}`;
  return { day: 'daily', week: 'weekly', month: 'monthly', quarter: 'quarterly' }[w.unit];
}

export function isValidTimeZone(tz: string): boolean {
  return DateTime.local().setZone(tz).isValid;
}

/**
 * Where `now` falls. `start` identifies the counter: spend is kept per window start, so a
 * new window starts a new counter and never overwrites the old one. For a rolling window,
 * `start` is the current bucket and `buckets` lists every bucket start still in the window,
 * oldest first; `end` is when the oldest of them leaves it.
 */
export interface WindowPosition {
  start: number;
  end: number;
  buckets: readonly number[];
  /** Where the spend it counts begins: a rolling window's oldest bucket, a calendar window's start. */
  from: number;
  /** When all it counts now has left it: a rolling window's current bucket aged out, a calendar window's end. */
  clearsAt: number;
}

export function windowAt(w: WindowSpec, tz: string, now: number): WindowPosition {
  if (w.kind === 'rolling') {
    const size = Math.max(60_000, Math.floor(w.ms / ROLLING_BUCKETS));
    const current = Math.floor(now / size) * size;
    // Every bucket that still overlaps [now - span, now]: counting the oldest one in full errs on the safe side.
    const oldest = Math.floor((now - w.ms) / size) * size;
    const last = rollingPositions.get(w.ms);
    if (last !== undefined && last.start === current && last.buckets[0] === oldest) return last;
    const buckets: number[] = [];
    for (let b = oldest; b <= current; b += size) buckets.push(b);
    const position = { start: current, end: oldest + size + w.ms, buckets: Object.freeze(buckets), from: oldest, clearsAt: current + size + w.ms };
    if (rollingPositions.size >= 1000) rollingPositions.clear();
    rollingPositions.set(w.ms, position);
    return position;
  }
  const key = `${w.unit}\u0000${tz}`;
  let position = calendarPositions.get(key);
  if (position === undefined || now < position.start || now >= position.end) {
    const startOf = startOfUnit(DateTime.fromMillis(now, { zone: tz }), w.unit);
    const [start, end] = [startOf.toMillis(), startOfNext(startOf, w.unit).toMillis()];
    position = { start, end, buckets: Object.freeze([start]), from: start, clearsAt: end };
    if (calendarPositions.size >= 1000) calendarPositions.clear();
    calendarPositions.set(key, position);
  }
  return position;
}

export type CalendarUnit = 'day' | 'week' | 'month' | 'quarter';

/**
 * The start of the unit after the one that `start` begins. Not `start + 1 unit`: where DST
 * begins at midnight (Africa/Cairo, Asia/Beirut, America/Havana, America/Santiago) that day
 * starts at 01:00, and one day later is 01:00 the next day, an hour past its midnight.
 */
export function startOfNext<T extends DateTime>(start: T, unit: CalendarUnit): T {
  return startOfUnit(start.plus({ [`${unit}s`]: 1 }), unit);
}

/**
 * The first instant of the unit `t` falls in. Not luxon's `startOf` alone: where clocks fall back
 * at midnight (America/Havana, Atlantic/Azores) midnight comes twice, and `startOf` gives the
 * second one to an instant after it, so that the first hour of the day belonged to no window.
 */
export function startOfUnit<T extends DateTime>(t: T, unit: CalendarUnit): T {
  const start = t.startOf(unit);
  const before = start.minus({ milliseconds: 1 });
  if (before.offset <= start.offset) return start;
  const first = start.minus({ minutes: before.offset - start.offset });
  return first.toFormat('yyyy-MM-dd HH:mm') === start.toFormat('yyyy-MM-dd HH:mm') ? first : start;
}

/**
 * The calendar window last computed per unit and zone, shared (its buckets frozen). Every
 * instant in [start, end) falls in that same window, so the zone arithmetic (microseconds,
 * and most of a budgeted request's garbage) runs once per window rather than once per budget
 * and request.
 */
const calendarPositions = new Map<string, WindowPosition>();

/** The rolling position last computed per span, shared (its buckets frozen) until the buckets move on. */
const rollingPositions = new Map<number, WindowPosition>();

/** How long a counter for this window must live in a shared store. */
export function counterTtlMs(w: WindowSpec): number {
  const span = w.kind === 'rolling' ? w.ms : { day: 1, week: 7, month: 31, quarter: 92 }[w.unit] * UNIT_MS.d;
  // A day of slack covers DST shifts and settlements that arrive after the window ended.
  return span + UNIT_MS.d;
}
