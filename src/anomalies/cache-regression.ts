import type { RateBook } from '../pricing/unit-rates.js';
import { minutesText, percentText, reportPath, usdText } from './evidence.js';
import type { CacheRegressionSettings, Detection } from './types.js';

/** A workflow's input and cache reads for one model and provider over a stretch of time. */
export interface CacheUse {
  workflow: string;
  model: string;
  provider: string;
  inputTokens: number;
  cacheReadTokens: number;
}

export interface CacheSeries {
  current: readonly CacheUse[];
  baseline: readonly CacheUse[];
}

const WEEK = 7 * 86_400_000;
const MILLION = 1_000_000n;

/**
 * A cache-hit regression: a workflow whose cache-read share of input falls sharply below
 * its own baseline (a prompt change that moved a timestamp to the top, a reordered tool
 * list). The dollar figure is what the lost cache reads cost at the plain input price:
 * per model, the tokens the baseline share would have read from cache and did not, times
 * (input rate − cache-read rate).
 */
export function cacheRegressions(series: CacheSeries, now: number, s: CacheRegressionSettings, rates: RateBook): Detection[] {
  const base = byWorkflow(series.baseline);
  const cur = byWorkflow(series.current);
  const start = now - s.windowMs;
  const out: Detection[] = [];
  for (const [workflow, uses] of cur) {
    if (workflow === '') continue;
    const past = base.get(workflow);
    if (!past) continue;
    const [pastShare, pastInput] = share(past);
    const [nowShare, nowInput] = share(uses);
    if (pastInput === 0 || nowInput < s.minInputTokens || pastShare < s.minBaselineShare) continue;
    if (nowShare > pastShare * (1 - s.drop)) continue;
    let excess = 0n;
    for (const u of uses) {
      const r = rates(u.provider, u.model, now);
      const lost = Math.floor(pastShare * u.inputTokens) - u.cacheReadTokens;
      if (!r || lost <= 0 || r.input <= r.cacheRead) continue;
      excess += (BigInt(lost) * (r.input - r.cacheRead)) / MILLION;
    }
    const weekly = (excess * BigInt(WEEK)) / BigInt(s.windowMs);
    out.push({
      detector: 'cache_regression',
      subject: `workflow:${workflow}`,
      windowStart: start,
      windowEnd: now,
      severity: nowShare < pastShare * 0.25 ? 'critical' : 'warning',
      excessPicos: excess,
      message: `Workflow ${workflow}'s cache-read share of input fell from ${percentText(pastShare)} to ${percentText(nowShare)} in the last ${minutesText(s.windowMs)}: ${usdText(excess)} extra so far, about ${usdText(weekly)} a week at this rate.`,
      evidence: { report: reportPath(start - 86_400_000, now, ['tag:workflow', 'model', 'hour']), requestIds: [], sessionIds: [] },
      key: `cache_regression:${workflow}:${Math.floor(now / 86_400_000)}`,
    });
  }
  return out;
}

function byWorkflow(uses: readonly CacheUse[]): Map<string, CacheUse[]> {
  const m = new Map<string, CacheUse[]>();
  for (const u of uses) {
    const l = m.get(u.workflow);
    if (l) l.push(u);
    else m.set(u.workflow, [u]);
  }
  return m;
}

function share(uses: readonly CacheUse[]): [number, number] {
  let input = 0;
  let read = 0;
  for (const u of uses) {
    input += u.inputTokens;
    read += u.cacheReadTokens;
  }
  return [input === 0 ? 0 : read / input, input];
}
