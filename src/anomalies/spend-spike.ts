import { DateTime } from 'luxon';
import type { Picos } from '../core/money.js';
import { DAY_MS, HOUR_MS } from '../storage/schema.js';
import { minutesText, reportPath, usdText } from './evidence.js';
import { dollars, robustSigma } from './stats.js';
import type { Detection, SpikeDimension, SpikeSettings } from './types.js';

/** Spend per subject: in the recent window, and per whole hour before it. */
export interface SpendSeries {
  dimension: SpikeDimension;
  /** Subject value → spend in [now − window, now). */
  current: ReadonlyMap<string, Picos>;
  /** Subject value → hour start → spend in that hour. */
  hourly: ReadonlyMap<string, ReadonlyMap<number, Picos>>;
  /** The first hour with any spend in the history (undefined: none). */
  firstHour: number | undefined;
}

/** The report dimension each scope is read with. */
export const SPIKE_REPORT_DIMENSION: Record<SpikeDimension, string> = { user: 'user', team: 'team', workflow: 'tag:workflow', model: 'model' };

/**
 * A spend spike: a subject's spend in the recent window against a seasonal baseline, the
 * same local hour of the day on the same kind of local day (weekday or weekend, in the
 * settings' time zone) over the last `baselineDays`, each sample scaled to the window's length. Robust to the odd past spike:
 * the centre is the median and the spread the MAD. Raised when spend is at least
 * `minRatio` × the median, `madK` robust sigmas above it, and `minExcess` above it.
 */
export function spendSpikes(series: SpendSeries, now: number, s: SpikeSettings): Detection[] {
  if (series.firstHour === undefined || now - series.firstHour < s.minHistoryDays * DAY_MS) return [];
  const start = now - s.windowMs;
  // Days before the ledger's first spend are unknown, not days of zero: counting them as zeros
  // set the median to zero for weeks after `minHistoryDays`, and every steady subject was a spike.
  const firstHour = series.firstHour;
  const hours = seasonalHours(start + s.windowMs / 2, s.baselineDays, s.timeZone).filter((h) => h >= firstHour);
  const out: Detection[] = [];
  for (const [subject, current] of series.current) {
    if (subject === '') continue;
    const hourly = series.hourly.get(subject);
    const samples = hours.map((h) => ((hourly?.get(h) ?? 0n) * BigInt(s.windowMs)) / BigInt(HOUR_MS));
    const sorted = [...samples].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const centre = medianPicos(sorted);
    const excess = current - centre;
    if (excess < s.minExcessPicos) continue;
    if (dollars(current) < s.minRatio * dollars(centre)) continue;
    const sigma = robustSigma(sorted.map(dollars));
    if (dollars(excess) <= s.madK * sigma) continue;
    const ratio = centre > 0n ? dollars(current) / dollars(centre) : Infinity;
    const scope = `${series.dimension}:${subject}`;
    out.push({
      detector: 'spend_spike',
      subject: scope,
      windowStart: start,
      windowEnd: now,
      severity: ratio >= 10 || excess >= 10n * s.minExcessPicos ? 'critical' : 'warning',
      excessPicos: excess,
      message: `${scope} spent ${usdText(current)} in the last ${minutesText(s.windowMs)}, ${Number.isFinite(ratio) ? `${ratio.toFixed(1)}×` : 'far above'} the usual ${usdText(centre)} for this hour (${usdText(excess)} over).`,
      evidence: { report: reportPath(start - DAY_MS, now, ['hour', SPIKE_REPORT_DIMENSION[series.dimension]]), requestIds: [], sessionIds: [] },
      // One alert per subject per clock hour while the spike lasts.
      key: `spend_spike:${scope}:${Math.floor(now / HOUR_MS)}`,
    });
  }
  return out;
}

/**
 * The hours the baseline samples for a moment: the same wall-clock hour on each of the last
 * `days` local days of the same kind (weekday or weekend), as the start of the UTC hour that
 * holds it (the ledger's hourly rollups are UTC hours; in a half-hour zone that is the hour
 * the local one starts in). Across a DST change the same local hour is a different UTC hour,
 * which is the point: a team's 9 o'clock stays its 9 o'clock.
 */
export function seasonalHours(at: number, days: number, timeZone: string): readonly number[] {
  // Every evaluation asks for each of its series, and a replay every minute: the answer only
  // changes with the local hour, whose boundaries fall on UTC quarter hours (zone offsets are
  // whole quarter hours), so it is kept per quarter hour.
  const key = `${Math.floor(at / QUARTER_HOUR_MS)}\u0000${days}\u0000${timeZone}`;
  if (key !== lastSeasonal.key) lastSeasonal = { key, hours: computeSeasonalHours(at, days, timeZone) };
  return lastSeasonal.hours;
}

const QUARTER_HOUR_MS = 15 * 60_000;
let lastSeasonal: { key: string; hours: readonly number[] } = { key: '', hours: [] };

function computeSeasonalHours(at: number, days: number, timeZone: string): number[] {
  const local = DateTime.fromMillis(at, { zone: timeZone }).startOf('hour');
  const weekend = local.weekday >= 6;
  const hours: number[] = [];
  for (let d = 1; d <= days; d++) {
    const past = local.minus({ days: d });
    if (past.weekday >= 6 !== weekend) continue;
    hours.push(Math.floor(past.toMillis() / HOUR_MS) * HOUR_MS);
  }
  return hours;
}

function medianPicos(sorted: readonly Picos[]): Picos {
  if (sorted.length === 0) return 0n;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2n;
}

