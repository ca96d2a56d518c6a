import { DateTime } from 'luxon';
import { type Picos, roundHalfUp } from '../core/money.js';
import { type WindowSpec, startOfNext, startOfUnit, windowAt } from '../policy/window.js';

/** Complete days of history the weekday profile needs: two of each weekday with a whole week centred on it. */
export const MIN_DAYS_FOR_WEEKDAYS = 20;
/** The run rate is the mean of this many most recent complete days. */
export const LEVEL_DAYS = 7;
/** A day above this multiple of the level days' median counts only up to it (one spike does not set the rate). */
const SPIKE_CAP = 3n;

export interface ForecastInput {
  window: WindowSpec;
  timeZone: string;
  now: number;
  limitPicos: Picos;
  /** Spend already counted in the current window (as the budget counts it). */
  spentPicos: Picos;
  /**
   * Spend per UTC hour start (ms) over the history, up to now, from the hour that holds the first
   * day's start. Hours without spend may be absent.
   */
  hourly: ReadonlyMap<number, Picos>;
  /** How far back the history goes, in days (hours before it are ignored). */
  lookbackDays: number;
  /** Later limits, ascending: from `at` on the limit is `limitPicos` (an approved increase lapsing). */
  limitSteps?: readonly LimitStep[];
}

export interface LimitStep {
  at: number;
  limitPicos: Picos;
}

export type ForecastStatus = 'exhausted' | 'will_run_out' | 'on_track' | 'no_history';

export interface Forecast {
  /**
   * `weekday`: run rate shaped by the weekday profile; `flat`: the run rate every day; `today`: no
   * complete day yet, the rate today's spend so far makes; `none`: no spend to go by.
   */
  method: 'weekday' | 'flat' | 'today' | 'none';
  /** Complete days of history used (from the first day with spend). */
  historyDays: number;
  /** The burn rate: expected spend per day (the robust mean of the last complete days). */
  dailyRatePicos: Picos;
  windowStart: number;
  /** The end of the current window (for a rolling window: now plus its span, the steady state). */
  windowEnd: number;
  spentPicos: Picos;
  /** The limit now (a lower limit after an increase lapses still moves `runOutAt` and `status`). */
  limitPicos: Picos;
  /** Spent plus what the run rate adds until the window ends. */
  projectedPicos: Picos;
  /** When projected spend reaches the limit within this window; null when it does not. */
  runOutAt: number | null;
  status: ForecastStatus;
}

interface Day {
  start: number;
  weekday: number;
  spend: Picos;
}

/**
 * Projects a budget's spend to the end of its window, and the moment it crosses the limit.
 *
 * Method (exact integer picodollars throughout):
 * 1. History: spend per local day (in the policy time zone) over the lookback, from the first
 *    day with any spend; today is partial and is not part of the history.
 * 2. Run rate: the mean of the last 7 complete days, each capped at 3× their median so that one
 *    spike does not set the rate. Seven days hold each weekday once, so it is a weekly mean.
 * 3. Weekday profile, with 20 or more complete days: each day's spend over the centred 7-day mean
 *    around it (a steady ramp has no weekday effect), or over the week ending or starting that day
 *    when that one varies less (a step in the level). A weekday's factor is the ratio of its days
 *    closest to 1 when all of them are on the same side of 1, else 1: an effect must repeat every
 *    week. Scaled to mean 1; a day with weekday w is expected to cost rate × factor(w). With less
 *    history, every day costs the rate.
 * 4. Projection: what is spent so far in the window, plus each remaining part of a day at its
 *    expected cost pro rata (the rest of today included); the run-out moment is interpolated
 *    within the day where the running total reaches the limit. The limit is the one in force at
 *    each moment: once an approved increase lapses, the running total is held to the limit
 *    without it (so the budget may run out at that very moment).
 * With no complete day yet (the first day after installing), the rate is today's spend so far over
 * the part of today gone (an hour at least), and every day costs it (`today`).
 * A rolling window has no end: its projection is its steady state, the expected spend of one
 * span from now, and it runs out when that steady state exceeds the limit in force a span from
 * now (no date is given).
 */
export function projectBudget(f: ForecastInput): Forecast {
  const position = windowAt(f.window, f.timeZone, f.now);
  const span = f.window.kind === 'rolling' ? f.window.ms : undefined;
  const rolling = span !== undefined;
  const windowStart = rolling ? f.now - span : position.start;
  const windowEnd = rolling ? f.now + span : position.end;
  const days = history(f);
  const base = { historyDays: days.length, windowStart, windowEnd, spentPicos: f.spentPicos, limitPicos: f.limitPicos };
  // The first day after installing has no complete day: today's pace so far is all there is to go by.
  const firstDay = days.length === 0 ? todaysRate(f) : undefined;
  if (days.length === 0 && firstDay === undefined) {
    const status: ForecastStatus = f.spentPicos >= f.limitPicos && f.limitPicos >= 0n && f.spentPicos > 0n ? 'exhausted' : 'no_history';
    return { ...base, method: 'none', dailyRatePicos: 0n, projectedPicos: f.spentPicos, runOutAt: status === 'exhausted' ? f.now : null, status };
  }
  const rate = firstDay ?? runRate(days);
  const weekdays = days.length >= MIN_DAYS_FOR_WEEKDAYS;
  const expected = expectedDay(days, rate, weekdays);
  const method = firstDay !== undefined ? 'today' : weekdays ? 'weekday' : 'flat';

  const steps = (f.limitSteps ?? []).filter((s) => s.at > f.now && s.at < windowEnd);
  const limitAt = (t: number) => steps.reduce((limit, s) => (s.at <= t ? s.limitPicos : limit), f.limitPicos);
  if (rolling) {
    const steady = spendBetween(f.now, windowEnd, f.timeZone, expected);
    const status: ForecastStatus = f.spentPicos >= f.limitPicos ? 'exhausted' : steady > limitAt(windowEnd) ? 'will_run_out' : 'on_track';
    return { ...base, method, dailyRatePicos: rate, projectedPicos: steady, runOutAt: status === 'exhausted' ? f.now : null, status };
  }

  let total = f.spentPicos;
  let runOutAt: number | null = total >= f.limitPicos ? f.now : null;
  for (const seg of segments(f.now, windowEnd, f.timeZone, steps.map((s) => s.at))) {
    const cost = roundHalfUp(expected(seg.weekday) * BigInt(seg.end - seg.start), BigInt(seg.dayLength));
    const limit = limitAt(seg.start);
    if (runOutAt === null && total >= limit) runOutAt = seg.start;
    if (runOutAt === null && cost > 0n && total + cost >= limit) {
      runOutAt = seg.start + Number(((limit - total) * BigInt(seg.end - seg.start)) / cost);
    }
    total += cost;
  }
  const status: ForecastStatus = f.spentPicos >= f.limitPicos ? 'exhausted' : runOutAt !== null ? 'will_run_out' : 'on_track';
  return { ...base, method, dailyRatePicos: rate, projectedPicos: total, runOutAt, status };
}

/** Below this much of today, its pace is taken over this long: minutes after midnight would multiply a few requests into a day. */
const MIN_TODAY_MS = 3_600_000;

/** Today's spend so far as a daily rate (undefined when nothing is spent today). */
function todaysRate(f: ForecastInput): Picos | undefined {
  const today = startOfUnit(DateTime.fromMillis(f.now, { zone: f.timeZone }), 'day');
  const start = today.toMillis();
  let spent = 0n;
  for (const [hour, p] of f.hourly) if (hour + 3_600_000 > start && hour <= f.now) spent += p;
  if (spent <= 0n) return undefined;
  const dayLength = startOfNext(today, 'day').toMillis() - start;
  return roundHalfUp(spent * BigInt(dayLength), BigInt(Math.max(f.now - start, MIN_TODAY_MS)));
}

/**
 * Complete local days before today, from the first one with spend, with their spend. A UTC hour
 * that straddles local midnight (a half- or quarter-hour zone) counts in the day it ends in: the
 * one straddling today's midnight holds some of today's spend, which `spentPicos` already counts.
 */
function history(f: ForecastInput): Day[] {
  const today = startOfUnit(DateTime.fromMillis(f.now, { zone: f.timeZone }), 'day');
  const first = startOfUnit(today.minus({ days: f.lookbackDays }), 'day');
  const byDay = new Map<number, Picos>();
  for (const [hour, p] of f.hourly) {
    const day = startOfUnit(DateTime.fromMillis(hour + 3_600_000 - 1, { zone: f.timeZone }), 'day');
    if (day < first || day >= today) continue;
    byDay.set(day.toMillis(), (byDay.get(day.toMillis()) ?? 0n) + p);
  }
  const withSpend = [...byDay].filter(([, p]) => p !== 0n).map(([d]) => d);
  if (withSpend.length === 0) return [];
  const out: Day[] = [];
  for (let d = DateTime.fromMillis(Math.min(...withSpend), { zone: f.timeZone }); d < today; d = startOfNext(d, 'day')) {
    out.push({ start: d.toMillis(), weekday: d.weekday, spend: byDay.get(d.toMillis()) ?? 0n });
  }
  return out;
}

function runRate(days: Day[]): Picos {
  const recent = days.slice(-LEVEL_DAYS).map((d) => d.spend);
  const sorted = [...recent].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2n;
  const cap = median * SPIKE_CAP;
  const sum = recent.reduce((s, p) => s + (median > 0n && p > cap ? cap : p), 0n);
  return roundHalfUp(sum, BigInt(recent.length));
}

const PPT = 1_000_000_000_000n;

/**
 * Expected spend of a whole day with a given ISO weekday (1 = Monday). Each day's spend over the
 * mean of a week around it (`levelWeek`; a steady ramp shows no weekday effect), per weekday the ratio
 * that repeats (`repeated`), scaled to mean 1. Ratios are fixed-point parts per 10^12.
 */
function expectedDay(days: Day[], rate: Picos, weekdays: boolean): (weekday: number) => Picos {
  if (!weekdays) return () => rate;
  const ratios = new Map<number, bigint[]>();
  for (let i = 3; i + 3 < days.length; i++) {
    const week = levelWeek(days, i);
    if (week === 0n) continue;
    const d = days[i]!;
    ratios.set(d.weekday, [...(ratios.get(d.weekday) ?? []), (d.spend * 7n * PPT) / week]);
  }
  if (ratios.size < 7 || [...ratios.values()].some((r) => r.length < 2)) return () => rate;
  const raw = new Map([...ratios].map(([w, r]) => [w, repeated(r)]));
  const all = [...raw.values()].reduce((s, r) => s + r, 0n);
  if (all === 0n) return () => rate;
  const expected = new Map([...raw].map(([w, r]) => [w, roundHalfUp(rate * r * 7n, all)]));
  return (w) => expected.get(w) ?? rate;
}

/**
 * The spend of a week around day i, which holds each weekday once: the centred one, unless the
 * week ending or the week starting on day i varies less. A step in the level inside the centred
 * week made the days before it look cheap and those after it dear; one of the other two lies on
 * the day's side of the step. A steady ramp or a pure weekly rhythm varies as much in all three.
 */
function levelWeek(days: readonly Day[], i: number): Picos {
  let best: { sum: Picos; range: Picos } | undefined;
  for (const from of [i - 3, i - 6, i]) {
    if (from < 0 || from + 7 > days.length) continue;
    const week = days.slice(from, from + 7).map((d) => d.spend);
    const range = week.reduce((a, b) => (b > a ? b : a)) - week.reduce((a, b) => (b < a ? b : a));
    if (!best || range < best.range) best = { sum: week.reduce((a, b) => a + b, 0n), range };
  }
  return best!.sum;
}

/**
 * A weekday's ratio as every week shows it: the one closest to 1 when all are above 1 or all below,
 * else 1. A step in the level puts the days around it off 1 (before it below, after it above) once,
 * and a spike its day and neighbours: their mean made a weekday rhythm of it.
 */
function repeated(ratios: readonly bigint[]): bigint {
  if (ratios.every((r) => r > PPT)) return ratios.reduce((a, b) => (b < a ? b : a));
  if (ratios.every((r) => r < PPT)) return ratios.reduce((a, b) => (b > a ? b : a));
  return PPT;
}

interface Segment {
  start: number;
  end: number;
  weekday: number;
  dayLength: number;
}

/**
 * [from, to) cut at local midnights and at `cuts` (ascending), each piece with its day's weekday
 * and length (DST days are 23 or 25 hours).
 */
function* segments(from: number, to: number, tz: string, cuts: readonly number[] = []): Generator<Segment> {
  let day = startOfUnit(DateTime.fromMillis(from, { zone: tz }), 'day');
  while (day.toMillis() < to) {
    const next = startOfNext(day, 'day');
    const dayLength = next.toMillis() - day.toMillis();
    const end = Math.min(to, next.toMillis());
    let start = Math.max(from, day.toMillis());
    for (const cut of [...cuts.filter((c) => c > start && c < end), end]) {
      if (cut > start) yield { start, end: cut, weekday: day.weekday, dayLength };
      start = cut;
    }
    day = next;
  }
}

function spendBetween(from: number, to: number, tz: string, expected: (w: number) => Picos): Picos {
  let total = 0n;
  for (const seg of segments(from, to, tz)) total += roundHalfUp(expected(seg.weekday) * BigInt(seg.end - seg.start), BigInt(seg.dayLength));
  return total;
}
