import type { RateBook } from '../pricing/unit-rates.js';
import { HOUR_MS } from '../storage/schema.js';
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
  /** Of the input, what was written to cache (0 where not known). */
  cacheWriteTokens?: number;
  /** The distinct sessions the requests came from: read for warm requests only. */
  sessions?: number;
}

export interface CacheSeries {
  current: readonly CacheUse[];
  /** The window's last `fastWindowMs` on their own (none when that check is off). */
  recent?: readonly CacheUse[];
  baseline: readonly CacheUse[];
  /** Per hour of the day the window touches, the baseline's hours that are that hour of the day. */
  sameHours?: readonly (readonly CacheUse[])[];
  /** The last LONG_WINDOW_MS, judged where the window holds too few requests. */
  lastHour?: readonly CacheUse[];
  /** The last `fastWindowMs`' warm requests alone: those following one of their session's within WARM_TTL_MS. */
  warm?: readonly CacheUse[];
}

/**
 * Where the window holds too few requests to judge (a workflow of a few large sessions, each of whose
 * first call reads nothing from cache), the last hour is judged instead, by the same fall.
 */
export const LONG_WINDOW_MS = 3_600_000;

/**
 * A request is warm when its session's previous request to the same model started at most this long
 * before it: within a prompt cache's 5-minute TTL, it can read what that one wrote.
 */
export const WARM_TTL_MS = 300_000;

/** The same hour of the day is the baseline once its days hold this many windows' minimum of input. */
const SAME_HOUR_WINDOWS = 4;

const MILLION = 1_000_000n;

/**
 * A cache-hit regression: a workflow whose cache-read share of input falls sharply below
 * its own baseline (a prompt change that moved a timestamp to the top, a reordered tool
 * list). Judged over the window, and over its last minutes alone for a steeper fall: a cache
 * broken outright halves the window's share only once it fills half the window, and shows
 * in the last minutes sooner. The dollar figure is what the lost cache reads cost: per model,
 * the tokens the baseline share would have read from cache and did not. A broken cache writes
 * what it would have read (Anthropic's), so they are priced at (cache-write rate − cache-read
 * rate) up to the window's cache writes, and at (input rate − cache-read rate) beyond. The
 * week's figure scales it by the workflow's own input: per input token judged, times the
 * baseline's input tokens per week, so a workflow that runs 12 hours a day is not counted for 24.
 */
export function cacheRegressions(series: CacheSeries, now: number, s: CacheRegressionSettings, rates: RateBook): Detection[] {
  const base = byWorkflow(series.baseline);
  const sameHours = (series.sameHours ?? []).map(byWorkflow);
  const window = byWorkflow(series.current);
  const recent = s.fastWindowMs > 0 && series.recent ? byWorkflow(series.recent) : undefined;
  const hour = series.lastHour ? byWorkflow(series.lastHour) : undefined;
  const warm = s.fastWindowMs > 0 && s.warmMinRequests > 0 && series.warm ? byWorkflow(series.warm) : undefined;
  // Judged only with enough evidence: a few calls, sessions starting cold, read little whatever the cache does.
  const enough = (uses: readonly CacheUse[] | undefined, minInput = s.minInputTokens, minRequests = s.minRequests): uses is readonly CacheUse[] => {
    if (!uses) return false;
    let input = 0;
    let requests = 0;
    for (const u of uses) {
      input += u.inputTokens;
      requests += u.requests;
    }
    return input >= minInput && requests >= minRequests;
  };
  const out: Detection[] = [];
  for (const workflow of new Set([...window.keys(), ...(recent?.keys() ?? []), ...(hour?.keys() ?? []), ...(warm?.keys() ?? [])])) {
    const past = base.get(workflow);
    if (workflow === '' || !past) continue;
    const [allShare, pastInput] = share(past);
    // A workflow's share follows the day (where sessions start, their first calls read nothing yet): the
    // same hours of past days are the baseline, the lowest of those that hold enough input, else all hours.
    const hourShares = sameHours.map((m) => share(m.get(workflow) ?? [])).filter(([, input]) => input >= SAME_HOUR_WINDOWS * s.minInputTokens);
    const pastShare = hourShares.length > 0 ? Math.min(...hourShares.map(([x]) => x)) : allShare;
    if (pastInput === 0 || pastShare < s.minBaselineShare) continue;
    // Only the models the workflow used in its baseline: one new to it (a burst of another model's cold
    // sessions, a spend spike) starts with an empty cache, which says nothing about the workflow's own.
    const known = new Set(past.map(modelOf));
    const ofKnown = (uses: readonly CacheUse[] | undefined) => uses?.filter((u) => known.has(modelOf(u)));
    const judged: [readonly CacheUse[], number, number, boolean?][] = [];
    const inWindow = ofKnown(window.get(workflow));
    const inHour = ofKnown(hour?.get(workflow));
    if (enough(inWindow)) judged.push([inWindow, s.windowMs, s.drop]);
    else if (enough(inHour)) judged.push([inHour, LONG_WINDOW_MS, s.drop]);
    const inRecent = ofKnown(recent?.get(workflow));
    if (enough(inRecent)) judged.push([inRecent, s.fastWindowMs, s.fastDrop]);
    // Warm requests read most of their input from cache while it works, none once it breaks: a few of them
    // say what many requests diluted with sessions' cold first calls do, in a workflow of few requests.
    // A broken cache affects every session of the workflow, while one session of its own (a runaway session
    // sending uncached input, an agent loop) reads nothing while the others read as usual. Warm requests from
    // fewer than `warmMinSessions` (counted per model: the most of any one model) are judged only where the
    // workflow's other requests of the last minutes, its cold ones, hold too little input to say, or fell too:
    // a workflow of a few requests often has one session under way, and its break is found by it alone.
    const inWarm = ofKnown(warm?.get(workflow));
    const fewSessions = inWarm !== undefined && Math.max(...inWarm.map((u) => u.sessions ?? 0)) < s.warmMinSessions;
    if (enough(inWarm, s.warmMinInputTokens, s.warmMinRequests) && (!fewSessions || !othersKept(inRecent, inWarm, pastShare * (1 - s.fastDrop), s.warmMinInputTokens))) judged.push([inWarm, s.fastWindowMs, s.fastDrop, true]);
    const fell = judged.find(([uses, , drop]) => share(uses)[0] <= pastShare * (1 - drop));
    // A burst of sessions starting cold (their first calls read nothing) dilutes the window's share while
    // the sessions under way read as before; a broken cache fails those too. So a fall of the window or of
    // its last minutes is not raised while the warm requests of enough sessions kept more than `drop` of it.
    const warmKept = inWarm !== undefined && !fewSessions && enough(inWarm, s.warmMinInputTokens, s.warmMinRequests) && share(inWarm)[0] > pastShare * (1 - s.drop);
    if (fell && (fell[3] === true || !warmKept)) out.push(regression(workflow, fell[0], pastShare, share(fell[0])[0], now, fell[1], rates, (pastInput * 7) / s.baselineDays, fell[3]));
  }
  return out;
}

function regression(workflow: string, uses: readonly CacheUse[], pastShare: number, nowShare: number, now: number, windowMs: number, rates: RateBook, weekInput: number, warm = false): Detection {
  const start = now - windowMs;
  let excess = 0n;
  for (const u of uses) {
    const r = rates(u.provider, u.model, now);
    const lost = Math.floor(pastShare * u.inputTokens) - u.cacheReadTokens;
    if (!r || lost <= 0) continue;
    const written = Math.min(lost, u.cacheWriteTokens ?? 0);
    excess += (BigInt(written) * positive(r.cacheWrite - r.cacheRead) + BigInt(lost - written) * positive(r.input - r.cacheRead)) / MILLION;
  }
  const judged = uses.reduce((n, u) => n + u.inputTokens, 0);
  const weekly = judged > 0 ? (excess * BigInt(Math.round(weekInput))) / BigInt(judged) : 0n;
  return {
    detector: 'cache_regression',
    subject: `workflow:${workflow}`,
    windowStart: start,
    windowEnd: now,
    severity: nowShare < pastShare * 0.25 ? 'critical' : 'warning',
    excessPicos: excess,
    message: `Workflow ${workflow}'s cache-read share of input fell from ${percentText(pastShare)} to ${percentText(nowShare)} in the last ${minutesText(windowMs)}${warm ? ` on the ${requestsOf(uses)} requests that followed their session's within ${minutesText(WARM_TTL_MS)}` : ''}: ${usdText(excess)} extra so far, about ${usdText(weekly)} a week at this rate.`,
    evidence: { report: reportPath(start - 86_400_000, now, ['tag:workflow', 'model', 'hour']), requestIds: [], sessionIds: [] },
    // Of the clock hour, as spend spikes' and retry storms' are: a regression still under way keeps its
    // first key as an episode (episodes.ts), and one that comes back later the same day is a new alert.
    key: `cache_regression:${workflow}:${Math.floor(now / HOUR_MS)}`,
  };
}

/** Whether the last minutes' requests other than the warm ones hold `minInput` or more and read more than `fellTo` of it. */
function othersKept(recent: readonly CacheUse[] | undefined, warm: readonly CacheUse[], fellTo: number, minInput: number): boolean {
  const [recentShare, recentInput] = share(recent ?? []);
  const [warmShare, warmInput] = share(warm);
  const input = recentInput - warmInput;
  return input >= minInput && (recentShare * recentInput - warmShare * warmInput) / input > fellTo;
}

function positive(x: bigint): bigint {
  return x > 0n ? x : 0n;
}

function requestsOf(uses: readonly CacheUse[]): number {
  return uses.reduce((n, u) => n + u.requests, 0);
}

function modelOf(u: CacheUse): string {
  return `${u.provider}\u0000${u.model}`;
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
