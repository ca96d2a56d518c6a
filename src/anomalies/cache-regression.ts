import type { RateBook } from '../pricing/unit-rates.js';
import { minutesText, percentText, reportPath, usdText } from './evidence.js';
import type { CacheRegressionSettings, Detection } from './types.js';

/** A workflow's input and cache reads for one model and provider over a stretch of time. */
export interface CacheUse {
  workflow: string;
  model: string;
  provider: string;
  requests: number;
  inputTokens: number;
  cacheReadTokens: number;
}

export interface CacheSeries {
  current: readonly CacheUse[];
  /** The window's last `fastWindowMs` on their own (none when that check is off). */
  recent?: readonly CacheUse[];
  baseline: readonly CacheUse[];
  /** Per hour of the day the window touches, the baseline's hours that are that hour of the day. */
  sameHours?: readonly (readonly CacheUse[])[];
}

/**
 * Requests the last minutes must hold to be judged alone. A workflow of a few large sessions reads
 * nothing at each one's first call: one session starting cold emptied its 5 minutes' share and was
 * raised 5 times in 9 clean weekdays of seeded traffic. A broken cache shows across many calls.
 */
const FAST_MIN_REQUESTS = 20;

/** The same hour of the day is the baseline once its days hold this many windows' minimum of input. */
const SAME_HOUR_WINDOWS = 4;

const WEEK = 7 * 86_400_000;
const MILLION = 1_000_000n;

/**
 * A cache-hit regression: a workflow whose cache-read share of input falls sharply below
 * its own baseline (a prompt change that moved a timestamp to the top, a reordered tool
 * list). Judged over the window, and over its last minutes alone for a steeper fall: a cache
 * broken outright halves the window's share only once it fills half the window, and shows
 * in the last minutes sooner. The dollar figure is what the lost cache reads cost at the
 * plain input price: per model, the tokens the baseline share would have read from cache and
 * did not, times (input rate − cache-read rate).
 */
export function cacheRegressions(series: CacheSeries, now: number, s: CacheRegressionSettings, rates: RateBook): Detection[] {
  const base = byWorkflow(series.baseline);
  const sameHours = (series.sameHours ?? []).map(byWorkflow);
  const windows = [{ uses: byWorkflow(series.current), ms: s.windowMs, drop: s.drop, minRequests: 0 }];
  if (s.fastWindowMs > 0 && series.recent) windows.push({ uses: byWorkflow(series.recent), ms: s.fastWindowMs, drop: s.fastDrop, minRequests: FAST_MIN_REQUESTS });
  const raised = new Set<string>();
  const out: Detection[] = [];
  for (const w of windows) {
    for (const [workflow, uses] of w.uses) {
      if (workflow === '' || raised.has(workflow)) continue;
      const past = base.get(workflow);
      if (!past) continue;
      const [allShare, pastInput] = share(past);
      // A workflow's share follows the day (where sessions start, their first calls read nothing yet): the
      // same hours of past days are the baseline, the lowest of those that hold enough input, else all hours.
      const hourShares = sameHours.map((m) => share(m.get(workflow) ?? [])).filter(([, input]) => input >= SAME_HOUR_WINDOWS * s.minInputTokens);
      const pastShare = hourShares.length > 0 ? Math.min(...hourShares.map(([x]) => x)) : allShare;
      const [nowShare, nowInput] = share(uses);
      if (pastInput === 0 || nowInput < s.minInputTokens || pastShare < s.minBaselineShare) continue;
      if (w.minRequests > 0 && uses.reduce((n, u) => n + u.requests, 0) < w.minRequests) continue;
      if (nowShare > pastShare * (1 - w.drop)) continue;
      raised.add(workflow);
      out.push(regression(workflow, uses, pastShare, nowShare, now, w.ms, rates));
    }
  }
  return out;
}

function regression(workflow: string, uses: readonly CacheUse[], pastShare: number, nowShare: number, now: number, windowMs: number, rates: RateBook): Detection {
  const start = now - windowMs;
  let excess = 0n;
  for (const u of uses) {
    const r = rates(u.provider, u.model, now);
    const lost = Math.floor(pastShare * u.inputTokens) - u.cacheReadTokens;
    if (!r || lost <= 0 || r.input <= r.cacheRead) continue;
    excess += (BigInt(lost) * (r.input - r.cacheRead)) / MILLION;
  }
  const weekly = (excess * BigInt(WEEK)) / BigInt(windowMs);
  return {
    detector: 'cache_regression',
    subject: `workflow:${workflow}`,
    windowStart: start,
    windowEnd: now,
    severity: nowShare < pastShare * 0.25 ? 'critical' : 'warning',
    excessPicos: excess,
    message: `Workflow ${workflow}'s cache-read share of input fell from ${percentText(pastShare)} to ${percentText(nowShare)} in the last ${minutesText(windowMs)}: ${usdText(excess)} extra so far, about ${usdText(weekly)} a week at this rate.`,
    evidence: { report: reportPath(start - 86_400_000, now, ['tag:workflow', 'model', 'hour']), requestIds: [], sessionIds: [] },
    key: `cache_regression:${workflow}:${Math.floor(now / 86_400_000)}`,
  };
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
