import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { counterTtlMs, describeWindow, formatWindow, parseWindow, windowAt } from './window.js';

const at = (iso: string) => Date.parse(iso);

describe('windows', () => {
  it('parses calendar units and rolling spans, and rejects the rest', () => {
    expect(parseWindow('day')).toEqual({ kind: 'calendar', unit: 'day' });
    expect(parseWindow('Quarter')).toEqual({ kind: 'calendar', unit: 'quarter' });
    expect(parseWindow('5h')).toEqual({ kind: 'rolling', ms: 5 * 3_600_000 });
    expect(formatWindow(parseWindow('90m'))).toBe('90m');
    expect(formatWindow(parseWindow('7d'))).toBe('7d');
    expect(describeWindow(parseWindow('month'))).toBe('monthly');
    expect(() => parseWindow('fortnight')).toThrow(/use day, week, month, quarter/);
    expect(() => parseWindow('1m')).toThrow(/between 10m and 90d/);
  });

  it('starts a day at local midnight in the configured zone', () => {
    const w = windowAt(parseWindow('day'), 'Europe/Berlin', at('2026-11-22T22:30:00Z'));
    // 23:30 in Berlin on the 22nd: the window is the 22nd, Berlin time.
    expect(new Date(w.start).toISOString()).toBe('2026-11-21T23:00:00.000Z');
    expect(new Date(w.end).toISOString()).toBe('2026-11-22T23:00:00.000Z');
    const next = windowAt(parseWindow('day'), 'Europe/Berlin', at('2026-11-22T23:00:00Z'));
    expect(next.start).toBe(w.end);
  });

  it('answers any sequence of instants as the zone arithmetic does, though it remembers the last window', () => {
    const units = ['day', 'week', 'month', 'quarter'] as const;
    const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham', 'Africa/Cairo', 'America/Santiago', 'Asia/Tehran'];
    // Instants clustered around window edges and DST changes, in any order.
    const instant = fc.oneof(
      fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 11, 31) }),
      fc.constantFrom(Date.UTC(2026, 2, 29, 1), Date.UTC(2026, 9, 25, 1), Date.UTC(2026, 10, 1, 6), Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(2026, 3, 24, 21), Date.UTC(2026, 8, 6, 3), Date.UTC(2021, 2, 28, 20)).chain((t) => fc.integer({ min: t - 2 * 3_600_000, max: t + 2 * 3_600_000 })),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...units), fc.constantFrom(...zones), instant), { minLength: 1, maxLength: 40 }), (calls) => {
        for (const [unit, tz, now] of calls) {
          const startOf = (t: number) => DateTime.fromMillis(t, { zone: tz }).startOf(unit).toMillis();
          const w = windowAt({ kind: 'calendar', unit }, tz, now);
          expect(w).toEqual({ start: startOf(now), end: w.end, buckets: [startOf(now)], from: startOf(now), clearsAt: w.end });
          // It ends where the next one starts: its last instant is in it, and the end starts the next unit.
          expect(w.end).toBeGreaterThan(now);
          expect(startOf(w.end - 1)).toBe(w.start);
          expect(startOf(w.end)).toBe(w.end);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('handles ISO weeks, months, quarters and a DST change', () => {
    const week = windowAt(parseWindow('week'), 'UTC', at('2026-11-22T12:00:00Z')); // a Sunday
    expect(new Date(week.start).toISOString()).toBe('2026-11-16T00:00:00.000Z');
    const quarter = windowAt(parseWindow('quarter'), 'UTC', at('2026-11-22T12:00:00Z'));
    expect(new Date(quarter.start).toISOString()).toBe('2026-10-01T00:00:00.000Z');
    expect(new Date(quarter.end).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    // New York's 2026-11-01 has 25 hours.
    const dst = windowAt(parseWindow('day'), 'America/New_York', at('2026-11-01T12:00:00Z'));
    expect(dst.end - dst.start).toBe(25 * 3_600_000);
    const month = windowAt(parseWindow('month'), 'America/New_York', at('2026-11-22T12:00:00Z'));
    expect(new Date(month.start).toISOString()).toBe('2026-11-01T04:00:00.000Z');
    expect(counterTtlMs(parseWindow('month'))).toBeGreaterThan(31 * 86_400_000);
  });

  it('ends a day at the next local midnight where DST starts at midnight', () => {
    // Cairo skips 00:00-01:00 on Friday 2026-04-24: that day starts at 01:00 (22:00Z), the next at 00:00 (21:00Z).
    const cairo = windowAt(parseWindow('day'), 'Africa/Cairo', at('2026-04-24T20:59:30Z'));
    expect(new Date(cairo.start).toISOString()).toBe('2026-04-23T22:00:00.000Z');
    expect(new Date(cairo.end).toISOString()).toBe('2026-04-24T21:00:00.000Z');
    expect(cairo.clearsAt).toBe(cairo.end);
    expect(new Date(windowAt(parseWindow('day'), 'Africa/Cairo', at('2026-04-24T21:00:30Z')).start).toISOString()).toBe('2026-04-24T21:00:00.000Z');
    // The same in Santiago (2026-09-06), Beirut (2026-03-29) and Havana (2026-03-08): 23-hour days, then 24-hour ones.
    for (const [tz, day] of [['America/Santiago', '2026-09-06'], ['Asia/Beirut', '2026-03-29'], ['America/Havana', '2026-03-08']] as const) {
      const w = windowAt(parseWindow('day'), tz, DateTime.fromISO(`${day}T12:00`, { zone: tz }).toMillis());
      expect(w.end - w.start).toBe(23 * 3_600_000);
      expect(DateTime.fromMillis(w.end, { zone: tz }).toFormat('HH:mm')).toBe('00:00');
    }
    // And a month: Asunción skipped midnight on 1 October 2023.
    const month = windowAt(parseWindow('month'), 'America/Asuncion', at('2023-10-15T12:00:00Z'));
    expect(new Date(month.end).toISOString()).toBe('2023-11-01T03:00:00.000Z');
    // A week that starts at 01:00 ends at the next Monday’s midnight: Tehran skipped midnight on Monday 2021-03-22.
    const week = windowAt(parseWindow('week'), 'Asia/Tehran', at('2021-03-24T12:00:00Z'));
    expect(DateTime.fromMillis(week.start, { zone: 'Asia/Tehran' }).toISO()).toBe('2021-03-22T01:00:00.000+04:30');
    expect(DateTime.fromMillis(week.end, { zone: 'Asia/Tehran' }).toISO()).toBe('2021-03-29T00:00:00.000+04:30');
  });

  it('starts a day at its first midnight where clocks fall back at midnight, whenever it is asked', () => {
    // Havana goes back from 01:00 CDT to 00:00 CST on Sunday 2026-11-01: midnight comes at 04:00Z and again at 05:00Z.
    for (const t of ['2026-11-01T04:30:00Z', '2026-11-01T05:30:00Z', '2026-11-02T04:59:00Z']) {
      const w = windowAt(parseWindow('day'), 'America/Havana', at(t));
      expect([t, new Date(w.start).toISOString(), new Date(w.end).toISOString()]).toEqual([t, '2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z']);
    }
    expect(new Date(windowAt(parseWindow('day'), 'America/Havana', at('2026-11-01T03:59:00Z')).end).toISOString()).toBe('2026-11-01T04:00:00.000Z');
    // The month began at that first midnight too.
    expect(new Date(windowAt(parseWindow('month'), 'America/Havana', at('2026-11-20T12:00:00Z')).start).toISOString()).toBe('2026-11-01T04:00:00.000Z');
    // The Azores go back from 01:00 to 00:00 on 2026-10-25.
    expect(new Date(windowAt(parseWindow('day'), 'Atlantic/Azores', at('2026-10-25T02:00:00Z')).start).toISOString()).toBe('2026-10-25T00:00:00.000Z');
  });

  it('covers a rolling window with buckets, counting the oldest partial bucket in full', () => {
    const w = windowAt(parseWindow('5h'), 'UTC', at('2026-11-22T12:02:00Z'));
    const size = 5 * 60_000;
    expect(w.buckets.at(-1)).toBe(w.start);
    expect(w.start).toBe(at('2026-11-22T12:00:00Z'));
    expect(w.buckets[0]).toBe(at('2026-11-22T07:00:00Z'));
    expect(w.from).toBe(w.buckets[0]);
    // Spent now, in the current bucket (12:00-12:05): gone from the window once that bucket is 5 h old.
    expect(w.clearsAt).toBe(at('2026-11-22T17:05:00Z'));
    expect(w.buckets).toHaveLength(61);
    expect(w.buckets.every((b, i) => i === 0 || b - w.buckets[i - 1]! === size)).toBe(true);
    // The oldest bucket stops counting once it lies wholly before now - 5h.
    expect(w.end).toBe(at('2026-11-22T12:05:00Z'));
  });
});
