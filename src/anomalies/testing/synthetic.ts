import type { Picos } from '../../core/money.js';
import type { RequestPoint } from '../../storage/ports.js';
import { rng } from '../../storage/testing/rows.js';
import type { CacheUse } from '../cache-regression.js';
import type { SessionSpend } from '../runaway-session.js';
import type { SpendSeries } from '../spend-spike.js';

/**
 * Seeded synthetic workloads for the detector tests: clean traffic with realistic noise
 * (Poisson request counts, log-normal request costs, a daily and weekly rhythm), into
 * which a test plants one anomaly.
 */
export class Workload {
  readonly random: () => number;

  constructor(seed: number) {
    this.random = rng(seed);
  }

  poisson(lambda: number): number {
    if (lambda > 50) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * this.normal()));
    const limit = Math.exp(-lambda);
    let k = 0;
    for (let p = this.random(); p > limit; p *= this.random()) k++;
    return k;
  }

  normal(): number {
    const u = Math.max(this.random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.random());
  }

  /** Log-normal with the given median (picos) and sigma. */
  logNormal(medianPicos: number, sigma: number): Picos {
    return BigInt(Math.round(medianPicos * Math.exp(sigma * this.normal())));
  }

  /** Spend of `n` requests of log-normal cost (a normal approximation of the sum beyond 30 requests, for speed). */
  spend(n: number, medianPicos: number, sigma = 0.8): Picos {
    if (n > 30) {
      const mean = medianPicos * Math.exp((sigma * sigma) / 2);
      const sd = mean * Math.sqrt(Math.exp(sigma * sigma) - 1);
      return BigInt(Math.max(0, Math.round(n * mean + Math.sqrt(n) * sd * this.normal())));
    }
    let total = 0n;
    for (let i = 0; i < n; i++) total += this.logNormal(medianPicos, sigma);
    return total;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.random() * xs.length)]!;
  }
}

export const HOUR = 3_600_000;
export const DAY = 86_400_000;
const CENT = 10_000_000_000;

/** Requests an hour for a user of this weight at this time: busy in working hours, quiet at night and weekends. */
function rate(weight: number, ts: number): number {
  const h = new Date(ts).getUTCHours();
  const day = new Date(ts).getUTCDay();
  const daily = h >= 8 && h < 19 ? 1 : 0.15;
  return weight * daily * (day === 0 || day === 6 ? 0.3 : 1);
}

export interface SpendUser {
  name: string;
  /** Requests an hour at the busiest time. */
  weight: number;
  /** Median cost of one request, picos. */
  cost: number;
}

/** A mix of light and heavy users; the heavy ones spend about $60 an hour in working hours. */
export function spendUsers(w: Workload): SpendUser[] {
  return Array.from({ length: 10 }, (_, i) => ({ name: `u${i}`, weight: i < 3 ? 150 + w.random() * 100 : 5 + w.random() * 40, cost: (i < 3 ? 30 : 3 + w.random() * 10) * CENT }));
}

/** 28 days of hourly spend before `now − windowMs`, and the window's own spend (× `boost` for the planted user). */
export function spendSeries(w: Workload, users: readonly SpendUser[], now: number, windowMs: number, plant?: { user: string; boost: number }): SpendSeries {
  const end = Math.floor((now - windowMs) / HOUR) * HOUR;
  const hourly = new Map<string, Map<number, Picos>>();
  for (const u of users) {
    const m = new Map<number, Picos>();
    for (let h = end - 28 * DAY; h < end; h += HOUR) {
      const n = w.poisson(rate(u.weight, h));
      if (n > 0) m.set(h, w.spend(n, u.cost));
    }
    hourly.set(u.name, m);
  }
  return { dimension: 'user', current: windowSpend(w, users, now, windowMs, plant), hourly, firstHour: end - 28 * DAY };
}

/** A fresh draw of the window's spend per user, for judging one history at several moments. */
export function windowSpend(w: Workload, users: readonly SpendUser[], now: number, windowMs: number, plant?: { user: string; boost: number }): Map<string, Picos> {
  const current = new Map<string, Picos>();
  for (const u of users) {
    const boost = plant?.user === u.name ? plant.boost : 1;
    const n = w.poisson((rate(u.weight, now - windowMs / 2) * boost * windowMs) / HOUR);
    if (n > 0) current.set(u.name, w.spend(n, u.cost));
  }
  return current;
}

/**
 * Sessions: each identity has a usual session-hour cost; an hour is twelve 5-minute
 * chunks of log-normal cost. History holds past session-hours; `recent` one 5-minute
 * chunk per live session (× `boost` for the planted one).
 */
export function sessionSeries(w: Workload, plant?: { boost: number }): { recent: SessionSpend[]; history: SessionSpend[]; planted: string } {
  const history: SessionSpend[] = [];
  const recent: SessionSpend[] = [];
  let planted = '';
  for (let i = 0; i < 20; i++) {
    const identity = `user:u${i}`;
    const chunk = (0.2 + w.random() * (i < 4 ? 5 : 1)) * 100 * CENT; // $0.20 to $6 per 5 minutes
    const chunkTokens = 20_000 + w.random() * 80_000;
    const hour = (boost = 1) => {
      let cost = 0n;
      let tokens = 0;
      for (let c = 0; c < 12; c++) {
        const f = Math.exp(0.7 * w.normal());
        cost += BigInt(Math.round(chunk * f * boost));
        tokens += Math.round(chunkTokens * f * boost);
      }
      return { cost, tokens };
    };
    const sessions = 10 + Math.floor(w.random() * 20);
    for (let s = 0; s < sessions; s++) {
      const hours = 1 + Math.floor(w.random() * 4);
      for (let h = 0; h < hours; h++) {
        const x = hour();
        history.push({ sessionId: `s${i}-${s}`, identity, costPicos: x.cost, tokens: x.tokens });
      }
    }
    const live = Math.floor(w.random() * 3);
    for (let s = 0; s < live; s++) {
      const boost = plant && !planted ? plant.boost : 1;
      const f = Math.exp(0.7 * w.normal());
      const id = `live${i}-${s}`;
      if (boost !== 1) planted = id;
      recent.push({ sessionId: id, identity, costPicos: BigInt(Math.round(chunk * f * boost)), tokens: Math.round(chunkTokens * f * boost) });
    }
  }
  return { recent, history, planted };
}

/** Agent sessions over the last 30 minutes: growing context, a fresh last turn almost every step. */
export function agentPoints(w: Workload, now: number, o: { hashes: boolean; loop?: { repeats: number } }): RequestPoint[] {
  const out: RequestPoint[] = [];
  for (let s = 0; s < 15; s++) {
    const steps = 10 + Math.floor(w.random() * 50);
    let input = 5_000 + Math.floor(w.random() * 20_000);
    const loopAt = o.loop && s === 0 ? Math.floor(steps / 3) : -1;
    let t = now - 30 * 60_000 + Math.floor(w.random() * 60_000);
    for (let i = 0; i < steps; i++) {
      const looping = loopAt >= 0 && i >= loopAt && i < loopAt + o.loop!.repeats;
      // A person sometimes sends the same "continue" twice: a repeat, but not a loop.
      const hash = looping ? 'stuck' : w.random() < 0.01 ? 'continue' : `h${s}-${i}`;
      const toolCalls = looping ? 1 : w.pick([0, 1, 1, 2, 3]);
      const output = looping ? 180 : 50 + Math.floor(w.random() * 2000);
      input += looping ? 1_500 : Math.floor(w.random() * 4_000);
      out.push(point({ id: `r${s}-${i}`, ts: t, sessionId: `sess${s}`, inputTokens: input, outputTokens: output, toolCalls, lastTurnHash: o.hashes ? hash : null, costPicos: BigInt(input) * 3_000_000n }));
      t += 5_000 + Math.floor(w.random() * 25_000);
      if (t >= now) break;
    }
  }
  return out;
}

/** Callers over the last 5 minutes with a normal 2% error rate; the planted key fails most requests and retries. */
export function callerPoints(w: Workload, now: number, plant?: { key: string }): RequestPoint[] {
  const out: RequestPoint[] = [];
  for (let k = 0; k < 12; k++) {
    const key = `key_${k}`;
    const storm = plant?.key === key;
    const n = storm ? 120 : 5 + Math.floor(w.random() * 150);
    for (let i = 0; i < n; i++) {
      const fails = storm ? w.random() < 0.85 : w.random() < 0.02;
      out.push(point({ id: `${key}-${i}`, ts: now - Math.floor(w.random() * 300_000), keyId: key, status: fails ? 429 : 200, outcome: fails ? 'upstream_error' : 'ok', attempts: fails ? 1 + Math.floor(w.random() * 3) : w.random() < 0.01 ? 2 : 1 }));
    }
  }
  return out.sort((a, b) => a.ts - b.ts);
}

/**
 * Workflows with a steady cache-read share each, over the 15-minute window and its last 5
 * minutes; the planted one's cache broke `minutesAgo` (15: the whole window) minutes ago and
 * reads 3% since. The last 5 minutes hold a third of the tokens, so their share wobbles more.
 */
export function cacheSeries(w: Workload, plant?: { workflow: string; minutesAgo?: number }): { current: CacheUse[]; recent: CacheUse[]; baseline: CacheUse[] } {
  const current: CacheUse[] = [];
  const recent: CacheUse[] = [];
  const baseline: CacheUse[] = [];
  const ago = plant?.minutesAgo ?? 15;
  for (let i = 0; i < 8; i++) {
    const workflow = `wf${i}`;
    const share = 0.35 + w.random() * 0.5;
    const perHour = 2_000_000 + w.random() * 20_000_000;
    const use = (hours: number, s: number, wobble: number): CacheUse => {
      const input = Math.round(perHour * hours * Math.exp(0.3 * w.normal()));
      const noisy = Math.min(0.99, Math.max(0, s + wobble * w.normal()));
      return { workflow, model: 'claude-sonnet-4-5', provider: 'anthropic', requests: Math.round(input / 20_000), inputTokens: input, cacheReadTokens: Math.round(input * noisy) };
    };
    // The share over a stretch of `minutes` ending `end` minutes ago, whose part after the break reads 3%.
    const over = (minutes: number, end: number) => (plant?.workflow !== workflow ? share : share + (0.03 - share) * (Math.max(0, Math.min(ago, minutes + end) - end) / minutes));
    baseline.push(use(24 * 7, share, 0.08));
    // The window is its last 5 minutes and the 10 before them, each wobbling as its tokens allow (±8 points over 15 minutes).
    const last = use(5 / 60, over(5, 0), 0.08 * Math.sqrt(3));
    const before = use(10 / 60, over(10, 5), 0.08 * Math.sqrt(1.5));
    recent.push(last);
    current.push({ ...last, requests: last.requests + before.requests, inputTokens: last.inputTokens + before.inputTokens, cacheReadTokens: last.cacheReadTokens + before.cacheReadTokens });
  }
  return { current, recent, baseline };
}

function point(p: Partial<RequestPoint> & { id: string; ts: number }): RequestPoint {
  return { sessionId: null, keyId: null, user: null, client: 'claude-code', model: 'claude-sonnet-4-5', status: 200, outcome: 'ok', attempts: 1, inputTokens: 1000, outputTokens: 100, toolCalls: 0, costPicos: 1_000_000_000n, lastTurnHash: null, ...p };
}
