// Instants written as text: pure, no I/O.

/** The furthest a JavaScript date reaches either side of 1970: beyond it there is no ISO text to print. */
export const MAX_TIME_MS = 8_640_000_000_000_000;

/**
 * The earliest time Tollgate takes, 1970-01-01T00:00:00Z: the start of the clock it stamps rows,
 * outcomes and audit entries with. Reports read nothing before it, and an hour or day before it
 * is not one storage's rollups can name (SQL's division truncates toward zero).
 */
export const EARLIEST_TIME = '1970-01-01';
export const EARLIEST_MS = 0;

const SPAN = /^(\d+)(m|h|d|w)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** A span of time written `30m`, `24h`, `7d` or `2w`, in ms; undefined for anything else. */
export function spanMs(text: string): number | undefined {
  const m = SPAN.exec(text.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : undefined;
}

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * A date (`2026-11-01`, midnight UTC) or an ISO 8601 timestamp, as ms since the epoch; undefined
 * for anything else. A time without an offset is UTC, so the answer does not depend on the time
 * zone of whoever parses it (Date.parse reads it as local time). A date that does not exist
 * (`2026-02-30`) is undefined, where Date.parse rolls it over into the next month.
 */
export function parseInstant(text: string): number | undefined {
  return canonicalInstant(text) ?? anyInstant(text);
}

/** A position that holds a digit (no character has this code). */
const DIGIT = -1;
/** `YYYY-MM-DDTHH:MM:SS`, what a canonical stamp holds at each position: a digit (DIGIT), or that character's code. */
const CANONICAL: readonly number[] = [...'0000-00-00T00:00:00'].map((c) => (c === '0' ? DIGIT : c.charCodeAt(0)));
const isDigit = (code: number) => code >= 48 && code <= 57;
const twoDigits = (text: string, at: number) => (text.charCodeAt(at) - 48) * 10 + text.charCodeAt(at + 1) - 48;

/**
 * The common stamp, `2026-11-18T14:07:30.123Z` (what agents' logs and our exports write), read
 * by Date.parse, which is several times cheaper than the full check (an import reads one per log
 * line). Only where Date.parse reads it exactly as `anyInstant` does: a day the month has (Date.parse
 * rolls the 30th of February over), an hour before 24, a year from 1000 (rarer years are left to
 * the full check); undefined for anything else, which the full check then reads.
 */
function canonicalInstant(text: string): number | undefined {
  const n = text.length;
  if (n < 20 || n > 30 || text.charCodeAt(n - 1) !== 90 /* Z */ || text.charCodeAt(0) === 48) return undefined;
  for (let i = 0; i < CANONICAL.length; i++) {
    const want = CANONICAL[i]!;
    const code = text.charCodeAt(i);
    if (want === DIGIT ? !isDigit(code) : code !== want) return undefined;
  }
  if (n > 20) {
    if (text.charCodeAt(19) !== 46 /* . */ || n === 21) return undefined;
    for (let i = 20; i < n - 1; i++) if (!isDigit(text.charCodeAt(i))) return undefined;
  }
  const day = twoDigits(text, 8);
  if (day < 1 || twoDigits(text, 11) > 23 || (day > 28 && day > daysIn(twoDigits(text, 0) * 100 + twoDigits(text, 2), twoDigits(text, 5)))) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The days of a month (1–12) of the Gregorian calendar; 31 for a month that is none (Date.parse refuses it). */
function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Any form parseInstant takes, checked in full. */
export function anyInstant(text: string): number | undefined {
  const m = INSTANT.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  const ms = Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3));
  // Not Date.UTC, which reads the years 0–99 as 1900–1999: setUTCFullYear takes a year as written.
  const back = new Date(0);
  back.setUTCFullYear(y, mo - 1, d);
  back.setUTCHours(h, mi, sec, ms);
  const utc = back.getTime();
  // An impossible day, hour or minute rolls over: a round trip that differs was one.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || back.getUTCHours() !== h || back.getUTCMinutes() !== mi || back.getUTCSeconds() !== sec) {
    return undefined;
  }
  const zone = m[8];
  if (zone === undefined || zone.toUpperCase() === 'Z') return utc;
  const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
  if (Number(z[2]) > 23 || Number(z[3]) > 59) return undefined;
  const offset = (Number(z[2]) * 60 + Number(z[3])) * 60_000;
  return z[1] === '+' ? utc - offset : utc + offset;
}

/**
 * ISO 8601, or null for a time no date can hold: a row or an outcome stored before times were
 * bounded. A listing or an export goes on (it threw, and the admin API dropped the connection).
 */
export function isoOrNull(ms: number | null): string | null {
  if (ms === null) return null;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
