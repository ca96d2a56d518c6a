// Instants written as text: pure, no I/O.

/** The furthest a JavaScript date reaches either side of 1970: beyond it there is no ISO text to print. */
export const MAX_TIME_MS = 8_640_000_000_000_000;

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
  const m = INSTANT.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  const ms = Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3));
  const utc = Date.UTC(y, mo - 1, d, h, mi, sec, ms);
  const back = new Date(utc);
  // Date.UTC rolls an impossible day, hour or minute over: a round trip that differs was one.
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
