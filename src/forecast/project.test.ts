import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { type Picos, usd } from '../core/money.js';
import { parseWindow } from '../policy/window.js';
import { type ForecastInput, projectBudget } from './project.js';

const DAY = 86_400_000;
// Thursday 2026-10-15, noon UTC.
const NOW = Date.UTC(2026, 9, 15, 12);

/** Spend per day, `days` complete days before today (oldest first), booked at each day's 09:00. */
function series(days: number, spendOn: (day: DateTime, i: number) => string, tz = 'UTC', now = NOW): Map<number, Picos> {
  const today = DateTime.fromMillis(now, { zone: tz }).startOf('day');
  const out = new Map<number, Picos>();
  for (let i = 0; i < days; i++) {
    const day = today.minus({ days: days - i });
    out.set(day.plus({ hours: 9 }).toMillis(), usd(spendOn(day, i)));
  }
  return out;
}

function input(o: Partial<ForecastInput>): ForecastInput {
  return { window: parseWindow('month'), timeZone: 'UTC', now: NOW, limitPicos: usd(1000), spentPicos: 0n, hourly: new Map(), lookbackDays: 28, ...o };
}

describe('projectBudget', () => {
  it('steady spend: the run rate is the daily spend, projected over the rest of the month, with the day it crosses the limit', () => {
    // $10 a day; 14 days of October plus half of today spent so far.
    const f = projectBudget(input({ hourly: series(28, () => '10'), spentPicos: usd(145), limitPicos: usd(200) }));
    expect(f.method).toBe('weekday');
    expect(f.dailyRatePicos).toBe(usd(10));
    // 145 + half of today (5) + 16 more days × 10.
    expect(f.projectedPicos).toBe(usd(310));
    // 150 at midnight; +10 a day reaches 200 at the end of 20 October.
    expect(new Date(f.runOutAt!).toISOString()).toBe('2026-10-21T00:00:00.000Z');
    expect(f.status).toBe('will_run_out');
    expect(f.windowEnd).toBe(Date.UTC(2026, 10, 1));

    const ok = projectBudget(input({ hourly: series(28, () => '10'), spentPicos: usd(145), limitPicos: usd(400) }));
    expect(ok).toMatchObject({ status: 'on_track', runOutAt: null, projectedPicos: usd(310) });
  });

  it('interpolates the run-out moment inside a day, exactly', () => {
    const f = projectBudget(input({ hourly: series(10, () => '24'), spentPicos: usd(100), limitPicos: usd('118') }));
    expect(f.method).toBe('flat');
    // $1 an hour from noon: 18 more dollars are reached at 06:00 the next day.
    expect(new Date(f.runOutAt!).toISOString()).toBe('2026-10-16T06:00:00.000Z');
  });

  it('weekend dip: weekdays are expected at weekday spend and weekends at weekend spend', () => {
    const pattern = (d: DateTime) => (d.weekday >= 6 ? '2' : '10');
    const f = projectBudget(input({ hourly: series(28, pattern), spentPicos: 0n, limitPicos: usd(10_000) }));
    expect(f.method).toBe('weekday');
    // The run rate is the weekly mean: (5 × 10 + 2 × 2) / 7.
    expect(f.dailyRatePicos).toBe(7_714_285_714_286n);
    // What remains: half of Thursday 15th (5), then 16 days: 11 weekdays × 10 + 5 weekend days × 2.
    const expected = usd(5 + 11 * 10 + 5 * 2);
    expect(Number(f.projectedPicos - expected)).toBeLessThanOrEqual(20);
    expect(Number(expected - f.projectedPicos)).toBeLessThanOrEqual(20);
    // A flat rate would have said 16.5 × 7.71 ≈ 127.29.
    expect(f.projectedPicos < usd('125.001')).toBe(true);
  });

  it('ramping spend: the rate follows the last week, and a steady ramp shows no weekday effect', () => {
    // Day i of 28 costs $i: the last 7 days (22..28) average 25.
    const f = projectBudget(input({ hourly: series(28, (_, i) => String(i + 1)), limitPicos: usd(10_000) }));
    expect(f.dailyRatePicos).toBe(usd(25));
    // 16.5 days at 25 a day (within rounding), not at the 28-day mean of 14.5.
    const flat = usd('412.5');
    expect(f.projectedPicos > flat - 1000n && f.projectedPicos < flat + 1000n).toBe(true);
  });

  it('a step change in level is not a weekday rhythm: spend that doubles one day and stays is projected flat at the new level', () => {
    // $10 a day, then $20 a day from some day on, over 28 days: whichever weekday the step falls on, no weekday stands out.
    for (let step = 4; step <= 27; step++) {
      const f = projectBudget(input({ hourly: series(28, (_, i) => (i < step ? '10' : '20')), limitPicos: usd(10_000) }));
      const rate = f.dailyRatePicos;
      // Half of today and 16 more days, every one at the run rate (within a picodollar a day of rounding).
      const flat = (rate * 33n) / 2n;
      expect([step, Math.abs(Number(f.projectedPicos - flat)) <= 20]).toEqual([step, true]);
    }
  });

  it('a one-off spike a fortnight ago is not a weekday rhythm either', () => {
    const f = projectBudget(input({ hourly: series(28, (_, i) => (i === 12 ? '1000' : '10')), limitPicos: usd(10_000) }));
    expect(f).toMatchObject({ method: 'weekday', dailyRatePicos: usd(10), projectedPicos: usd(165) });
  });

  it('a step change on top of a weekend dip keeps the dip', () => {
    const pattern = (d: DateTime, i: number) => String((d.weekday >= 6 ? 2 : 10) * (i < 14 ? 1 : 2));
    const f = projectBudget(input({ hourly: series(28, pattern), limitPicos: usd(10_000) }));
    // The last week at the new level: (5 × 20 + 2 × 4) / 7 a day, shaped 20 on weekdays and 4 at weekends.
    const expected = usd(10 + 11 * 20 + 5 * 4);
    expect(Math.abs(Number(f.projectedPicos - expected))).toBeLessThanOrEqual(usd('0.5'));
  });

  it('one spike does not set the rate: a day counts at most three times the median of the last week', () => {
    const f = projectBudget(input({ hourly: series(7, (_, i) => (i === 5 ? '1000' : '10')) }));
    expect(f.dailyRatePicos).toBe(roundDiv(usd(6 * 10 + 30), 7n));
  });

  it('a budget already spent is exhausted now; no history is said so', () => {
    expect(projectBudget(input({ hourly: series(3, () => '10'), spentPicos: usd(1000) }))).toMatchObject({ status: 'exhausted', runOutAt: NOW });
    expect(projectBudget(input({}))).toMatchObject({ status: 'no_history', method: 'none', projectedPicos: 0n, runOutAt: null });
    // Days before the first spend are not history: a new team is not diluted by empty days.
    expect(projectBudget(input({ hourly: series(2, () => '10') }))).toMatchObject({ historyDays: 2, dailyRatePicos: usd(10) });
  });

  it('the first day, with no complete day yet: the pace of today so far is the rate, over an hour at least', () => {
    // $3 spent by noon today: $6 a day; a daily budget of $5 runs out at 20:00.
    const today = new Map([[Date.UTC(2026, 9, 15, 9), usd(3)]]);
    const f = projectBudget(input({ window: parseWindow('day'), hourly: today, spentPicos: usd(3), limitPicos: usd(5) }));
    expect(f).toMatchObject({ method: 'today', historyDays: 0, dailyRatePicos: usd(6), projectedPicos: usd(6), status: 'will_run_out' });
    expect(new Date(f.runOutAt!).toISOString()).toBe('2026-10-15T20:00:00.000Z');
    // Twenty minutes after midnight, 85% of a $0.10 day spent: the pace is taken over an hour, and still runs out.
    const early = Date.UTC(2026, 9, 15, 0, 20);
    const first = projectBudget(input({ window: parseWindow('day'), now: early, hourly: new Map([[Date.UTC(2026, 9, 15), usd('0.085')]]), spentPicos: usd('0.085'), limitPicos: usd('0.10') }));
    expect(first).toMatchObject({ method: 'today', dailyRatePicos: usd('2.04'), status: 'will_run_out' });
  });

  it('calendar days follow the policy time zone, including a 23-hour DST day', () => {
    // Berlin leaves summer time on Sunday 2026-10-25; $24 a day means $24 over that 25-hour day too.
    const tz = 'Europe/Berlin';
    const f = projectBudget(input({ timeZone: tz, hourly: series(10, () => '24', tz), limitPicos: usd(100_000) }));
    const startOfToday = DateTime.fromMillis(NOW, { zone: tz }).startOf('day').toMillis();
    const elapsed = (NOW - startOfToday) / DAY;
    const remainingDays = 16 + (1 - elapsed);
    expect(Number(f.projectedPicos) / 1e12).toBeCloseTo(24 * remainingDays, 6);
    expect(f.windowEnd).toBe(DateTime.fromISO('2026-11-01T00:00', { zone: tz }).toMillis());
  });

  it('a day whose midnight comes twice (clocks back at midnight) counts from its first midnight', () => {
    const now = Date.parse('2026-11-02T17:00:00Z');
    const hourly = new Map<number, Picos>();
    for (let h = Date.UTC(2026, 9, 20); h < now; h += 3_600_000) hourly.set(h, usd(1));
    const rate = (timeZone: string) => projectBudget(input({ timeZone, now, hourly, limitPicos: usd(5000) })).dailyRatePicos;
    // Havana's 1 November has 25 hours, as New York's does: the same history, the same rate.
    expect(rate('America/Havana')).toBe(rate('America/New_York'));
  });

  it('days where DST starts at midnight end at the next midnight, in history and in the projection', () => {
    // $1 every UTC hour since 1 April. Cairo skips 00:00-01:00 on 2026-04-24, so that day starts at 01:00.
    const now = Date.UTC(2026, 4, 10, 12);
    const hourly = new Map<number, Picos>();
    for (let h = Date.UTC(2026, 3, 1); h < now; h += 3_600_000) hourly.set(h, usd(1));
    for (const tz of ['Africa/Cairo', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham']) {
      const f = projectBudget(input({ timeZone: tz, now, hourly, limitPicos: usd(500) }));
      expect([tz, f.dailyRatePicos]).toEqual([tz, usd(24)]);
      expect([tz, f.historyDays]).toEqual([tz, 28]);
    }
    // $24 a day from Wednesday 22 April, Cairo time: $120 more is reached at the end of Sunday 26 April, at midnight.
    const tz = 'Africa/Cairo';
    const from = DateTime.fromISO('2026-04-22T00:00', { zone: tz }).toMillis();
    const f = projectBudget(input({ timeZone: tz, now: from, hourly: series(10, () => '24', tz, from), spentPicos: usd(10), limitPicos: usd(130) }));
    expect(DateTime.fromMillis(f.runOutAt!, { zone: tz }).toISO()).toBe('2026-04-27T00:00:00.000+03:00');
    // 9 days to the end of April, each at $24 (the 23-hour 24 April too).
    expect(f.projectedPicos).toBe(usd(10 + 9 * 24));
  });

  it('in a half-hour zone, the UTC hour straddling today’s midnight is today’s, not also yesterday’s', () => {
    // Kolkata (UTC+5:30), 00:16 on 2 November: $1.26 spent on 1 November at noon, $0.63 since midnight
    // (00:00 and 00:15, in the 18:00 UTC hour that began at 23:30 on 1 November).
    const tz = 'Asia/Kolkata';
    const now = DateTime.fromISO('2026-11-02T00:16', { zone: tz }).toMillis();
    const hourly = new Map([[Date.UTC(2026, 10, 1, 6), usd('1.26')], [Date.UTC(2026, 10, 1, 18), usd('0.63')]]);
    const f = projectBudget(input({ window: parseWindow('day'), timeZone: tz, now, hourly, spentPicos: usd('0.63'), limitPicos: usd(1) }));
    expect(f).toMatchObject({ method: 'flat', historyDays: 1, dailyRatePicos: usd('1.26') });
    // 0.63 spent, plus 1424 of the day’s 1440 minutes at $1.26 a day.
    expect(f.projectedPicos).toBe(usd('1.876'));
    // An hour that straddles an earlier midnight counts in the day it ends in: 23:45 on 30 October is 31 October’s.
    const earlier = new Map([...hourly, [Date.UTC(2026, 9, 30, 18), usd('2.5')]]);
    const g = projectBudget(input({ window: parseWindow('day'), timeZone: tz, now, hourly: earlier, spentPicos: usd('0.63'), limitPicos: usd(1) }));
    expect(g).toMatchObject({ historyDays: 2, dailyRatePicos: usd('1.88') });
  });

  it('an increase that lapses: past it the limit is the one without the increase', () => {
    // $10 a day; $200 with a $50 increase until tomorrow noon, $150 after it.
    const lapse = NOW + DAY;
    const steps = [{ at: lapse, limitPicos: usd(150) }];
    const f = projectBudget(input({ hourly: series(28, () => '10'), spentPicos: usd(145), limitPicos: usd(200), limitSteps: steps }));
    // 155 is spent by the lapse, over the $150 left: it runs out the moment the increase ends.
    expect(f).toMatchObject({ status: 'will_run_out', runOutAt: lapse, limitPicos: usd(200), projectedPicos: usd(310) });
    // Lapsing two days on, with $165 spent, to $170: the run-out moves from 21 October (on $200) to 18 October 00:00 (on $170).
    const later = projectBudget(input({ hourly: series(28, () => '10'), spentPicos: usd(145), limitPicos: usd(200), limitSteps: [{ at: NOW + 2 * DAY, limitPicos: usd(170) }] }));
    expect(new Date(later.runOutAt!).toISOString()).toBe('2026-10-18T00:00:00.000Z');
    // One that lapses after the window ends changes nothing; so does a lapse into a limit never reached.
    const after = projectBudget(input({ hourly: series(28, () => '10'), spentPicos: usd(145), limitPicos: usd(400), limitSteps: [{ at: Date.UTC(2026, 10, 2), limitPicos: usd(100) }] }));
    expect(after).toMatchObject({ status: 'on_track', runOutAt: null });
    expect(projectBudget(input({ hourly: series(28, () => '10'), spentPicos: usd(145), limitPicos: usd(400), limitSteps: [{ at: lapse, limitPicos: usd(350) }] }))).toMatchObject({ status: 'on_track', runOutAt: null, projectedPicos: usd(310) });
    // A rolling window: its steady state ($70) fits the raised $80, not the $65 left a span from now.
    const rolling = projectBudget(input({ window: parseWindow('7d'), hourly: series(10, () => '10'), spentPicos: usd(50), limitPicos: usd(80), limitSteps: [{ at: NOW + 3 * DAY, limitPicos: usd(65) }] }));
    expect(rolling).toMatchObject({ status: 'will_run_out', projectedPicos: usd(70) });
  });

  it('a rolling window projects its steady state: one span at the run rate', () => {
    const f = projectBudget(input({ window: parseWindow('7d'), hourly: series(10, () => '10'), spentPicos: usd(70), limitPicos: usd(60) }));
    expect(f).toMatchObject({ status: 'exhausted', projectedPicos: usd(70) });
    const g = projectBudget(input({ window: parseWindow('7d'), hourly: series(10, () => '10'), spentPicos: usd(50), limitPicos: usd(65) }));
    expect(g).toMatchObject({ status: 'will_run_out', projectedPicos: usd(70), runOutAt: null });
  });
});

function roundDiv(a: bigint, b: bigint): bigint {
  return (a + b / 2n) / b;
}
