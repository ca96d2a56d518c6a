import type { Picos } from '../core/money.js';
import type { ConcurrencyLine, RateLine, ReservePlan, SpendGroup, SpendLine } from './counters/port.js';
import { countedSet } from './counted-set.js';
import { type Budget, type RateLimit, type RuleSet, effectiveLimit } from './rules.js';
import { type Subject, scopeMatches } from './scope.js';
import { type WindowPosition, counterTtlMs, formatWindow, windowAt } from './window.js';

const MINUTE = 60_000;
/** Rolling windows keep one marker for their life: it must outlive every bucket it vouches for. */
const ROLLING_MARKER_TTL_MS = 400 * 86_400_000;

export interface PlanContext {
  rules: RuleSet;
  subject: Subject;
  now: number;
  timeZone: string;
  /** Prefix of every counter key, `{tg}:` by default (the braces keep keys in one Redis Cluster slot). */
  prefix: string;
}

/** A budget's counter for the window `now` falls in. */
export interface BudgetCounter {
  budget: Budget;
  line: SpendLine;
  window: WindowPosition;
}

export function budgetCounter(prefix: string, b: Budget, rules: RuleSet, now: number, timeZone: string): BudgetCounter {
  const window = windowAt(b.window, timeZone, now);
  const w = formatWindow(b.window);
  const rolling = b.window.kind === 'rolling';
  // The counted set's hash: a rule whose scope or pool changed under the same id counts other rows, from a fresh counter.
  const id = `${b.id}:${countedSet(b)}`;
  const line: SpendLine = {
    ref: b.id,
    marker: rolling ? `${prefix}bm:${id}:${w}` : `${prefix}bm:${id}:${w}:${window.start}`,
    buckets: bucketKeys(prefix, id, w, window),
    limit: effectiveLimit(b, rules.increases, now),
    ttlMs: counterTtlMs(b.window),
  };
  return { budget: b, line, window };
}

/**
 * A budget's bucket keys for a window position, the same strings for as long as the
 * position holds: a rolling window has dozens of buckets, built and hashed on every request
 * otherwise (the same string object keeps its hash for the in-memory counters' lookups).
 */
function bucketKeys(prefix: string, id: string, w: string, window: WindowPosition): readonly string[] {
  const key = `${prefix}\u0000${id}\u0000${w}`;
  const last = keysCache.get(key);
  if (last !== undefined && last.window === window.buckets) return last.keys;
  const keys = Object.freeze(window.buckets.map((start) => `${prefix}b:${id}:${w}:${start}`));
  if (keysCache.size >= 10_000) keysCache.clear();
  keysCache.set(key, { window: window.buckets, keys });
  return keys;
}

const keysCache = new Map<string, { window: readonly number[]; keys: readonly string[] }>();

/** Marker TTL for initialising a counter (see ROLLING_MARKER_TTL_MS). */
export function markerTtlMs(b: Budget): number {
  return b.window.kind === 'rolling' ? ROLLING_MARKER_TTL_MS : counterTtlMs(b.window);
}

export function applicableBudgets(rules: RuleSet, subject: Subject): Budget[] {
  return rules.budgets.filter((b) => b.kind === 'budget' && scopeMatches(b.scope, subject));
}

export function applicableRateLimits(rules: RuleSet, subject: Subject): RateLimit[] {
  return rules.rateLimits.filter((r) => scopeMatches(r.scope, subject));
}

export interface Planned {
  plan: ReservePlan;
  /** Every spend line's counter, in the order of the outcome's `levels`. */
  counters: BudgetCounter[];
  /** Per group, the pool that may pay for it. */
  pools: (Budget | null)[];
}

/**
 * Lays out a reservation: the budgets that apply, grouped by the pool they draw on (a
 * pool only helps requests that match its own scope), and the rate limits.
 */
export function planReservation(ctx: PlanContext, id: string, amount: Picos, tokens: number, leaseMs: number, budgets: readonly Budget[], limits: readonly RateLimit[]): Planned {
  const { rules, subject, now, timeZone, prefix } = ctx;
  const byPool = new Map<string, Budget[]>();
  for (const b of budgets) {
    const pool = b.pool ? rules.budgets.find((p) => p.kind === 'pool' && p.id === b.pool && scopeMatches(p.scope, subject)) : undefined;
    const k = pool?.id ?? '';
    byPool.set(k, [...(byPool.get(k) ?? []), b]);
  }
  const groups: SpendGroup[] = [];
  const counters: BudgetCounter[] = [];
  const pools: (Budget | null)[] = [];
  for (const [poolId, members] of byPool) {
    const lines = members.map((b) => budgetCounter(prefix, b, rules, now, timeZone));
    const pool = poolId ? budgetCounter(prefix, rules.budgets.find((p) => p.id === poolId)!, rules, now, timeZone) : null;
    groups.push({ lines: lines.map((c) => c.line), pool: pool?.line ?? null });
    counters.push(...lines, ...(pool ? [pool] : []));
    pools.push(pool?.budget ?? null);
  }
  const minute = Math.floor(now / MINUTE) * MINUTE;
  const prevWeight = 1 - (now - minute) / MINUTE;
  const rates: (RateLine | ConcurrencyLine)[] = [];
  for (const r of limits) {
    const perMinute = (kind: 'rpm' | 'tpm', limit: number, amt: number): RateLine => ({
      ref: r.id,
      kind,
      key: `${prefix}rl:${r.id}:${kind}:${minute}`,
      prevKey: `${prefix}rl:${r.id}:${kind}:${minute - MINUTE}`,
      prevWeight,
      limit,
      amount: amt,
      ttlMs: 3 * MINUTE,
    });
    if (r.rpm !== null) rates.push(perMinute('rpm', r.rpm, 1));
    if (r.tpm !== null) rates.push(perMinute('tpm', r.tpm, tokens));
    if (r.concurrency !== null) rates.push({ ref: r.id, kind: 'concurrency', key: `${prefix}rl:${r.id}:conc`, limit: r.concurrency });
  }
  return { plan: { id, now, leaseMs, amount, groups, rates }, counters, pools };
}

/**
 * Milliseconds until a full rate line has room again, by the same sliding-window formula
 * the counters use: the previous minute's weight falls as time passes, then the minute
 * turns and this minute becomes the previous one. Infinity when the request alone is
 * larger than the limit.
 */
export function retryAfterMs(kind: 'rpm' | 'tpm' | 'concurrency', limit: number, amount: number, current: number, previous: number, now: number): number {
  if (amount > limit) return Infinity;
  // A slot frees when some request ends, which we cannot predict: ask for a short wait.
  if (kind === 'concurrency') return 1000;
  const minute = Math.floor(now / MINUTE) * MINUTE;
  const room = limit - amount;
  // This minute is full: after its turn, it is the previous one, and fades.
  if (current > room) return minute + MINUTE + firstFit(current, room) - now;
  return Math.max(1, minute + firstFit(previous, room - current) - now);
}

/**
 * The first millisecond into a minute at which admission's floor(count · weight) fits within
 * `bound`, the weight falling from 1 as the minute passes. Floored, it fits once the product is
 * below bound + 1: a 1-per-minute limit has room again just after the minute's turn, not a minute later.
 */
function firstFit(count: number, bound: number): number {
  if (count <= bound) return 0;
  let t = Math.max(0, Math.floor((1 - (bound + 1) / count) * MINUTE));
  // The estimate is exact but for rounding: step to where admission's own arithmetic agrees.
  while (t < MINUTE && Math.floor(count * (1 - t / MINUTE)) > bound) t++;
  return t;
}

/**
 * The model a budget's downgrade rule serves instead, once the last level this process saw of
 * that budget is past the rule's threshold (no round trip to the counters): the first such
 * target that `usable` accepts (it can serve this request, and for less; see downgrade.ts), as
 * routing rules take the first rule whose target can serve the request. Null when none is.
 * With `current` (the budget's counter now), a level seen of another counter (an earlier window,
 * another scope) or in an earlier bucket of a rolling window (whose spend may have aged out since)
 * is not judged, and the limit is the one now, approved increases included.
 */
export function downgradeUnderPressure(
  rules: RuleSet,
  subject: Subject,
  levels: ReadonlyMap<string, { level: Picos; limit: Picos; marker?: string; start?: number }>,
  usable: (to: string) => boolean,
  current?: (b: Budget) => BudgetCounter,
): string | null {
  const model = subject.model.toLowerCase();
  for (const b of applicableBudgets(rules, subject)) {
    if (!b.downgrade || b.downgrade.to.toLowerCase() === model) continue;
    const seen = levels.get(b.id);
    const now = seen && current?.(b);
    if (now && (now.line.marker !== seen.marker || now.window.start !== seen.start)) continue;
    const limit = now ? now.line.limit : seen?.limit;
    if (seen && limit !== undefined && limit > 0n && seen.level * 100n >= limit * BigInt(b.downgrade.atPercent) && usable(b.downgrade.to)) return b.downgrade.to;
  }
  return null;
}
