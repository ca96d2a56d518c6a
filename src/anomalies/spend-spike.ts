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
 * same hour of the day on the same kind of day (weekday or weekend) over the last
 * `baselineDays`, each sample scaled to the window's length. Robust to the odd past spike:
 * the centre is the median and the spread the MAD. Raised when spend is at least
 * `minRatio` × the median, `madK` robust sigmas above it, and `minExcess` above it.
 */
export function spendSpikes(series: SpendSeries, now: number, s: SpikeSettings): Detection[] {
  if (series.firstHour === undefined || now - series.firstHour < s.minHistoryDays * DAY_MS) return [];
  const start = now - s.windowMs;
  const out: Detection[] = [];
  for (const [subject, current] of series.current) {
    if (subject === '') continue;
    const samples = seasonalSamples(series.hourly.get(subject), start + s.windowMs / 2, s);
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

function seasonalSamples(hourly: ReadonlyMap<number, Picos> | undefined, at: number, s: SpikeSettings): Picos[] {
  const hour = Math.floor(at / HOUR_MS) * HOUR_MS;
  const weekend = isWeekend(at);
  const samples: Picos[] = [];
  for (let d = 1; d <= s.baselineDays; d++) {
    const h = hour - d * DAY_MS;
    if (isWeekend(h) !== weekend) continue;
    samples.push(((hourly?.get(h) ?? 0n) * BigInt(s.windowMs)) / BigInt(HOUR_MS));
  }
  return samples;
}

function isWeekend(ms: number): boolean {
  const day = new Date(ms).getUTCDay();
  return day === 0 || day === 6;
}

function medianPicos(sorted: readonly Picos[]): Picos {
  if (sorted.length === 0) return 0n;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2n;
}

