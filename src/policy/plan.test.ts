import { describe, expect, it } from 'vitest';
import { usd } from '../core/money.js';
import { countedSet } from './counted-set.js';
import { applicableBudgets, downgradeUnderPressure, planReservation, retryAfterMs } from './plan.js';
import type { Budget, Increase, RateLimit, RuleSet } from './rules.js';
import { type Subject, parseScope } from './scope.js';
import { parseWindow } from './window.js';

const NOW = Date.parse('2026-11-22T12:00:30Z');
const who: Subject = { keyId: 'k1', user: 'alice', team: 'platform', project: null, tags: {}, model: 'claude-sonnet-4-5', provider: 'anthropic' };

function budget(id: string, scope: string, window: string, limit: string, p: Partial<Budget> = {}): Budget {
  return { id, kind: 'budget', name: null, scope: parseScope(scope), window: parseWindow(window), limitPicos: usd(limit), thresholds: [50, 80, 100], fail: 'open', pool: null, downgrade: null, enforceMaxTokens: false, source: 'api', createdAt: 0, ...p };
}

describe('reservation plans', () => {
  it('keys each counter by its window start, so a new window is a new counter', () => {
    const rules: RuleSet = { budgets: [budget('b1', 'user:alice', 'day', '40')], rateLimits: [], modelPolicies: [], increases: [] };
    const ctx = { rules, subject: who, now: NOW, timeZone: 'UTC', prefix: '{tg}:' };
    const p = planReservation(ctx, 'r1', 5n, 100, 60_000, applicableBudgets(rules, who), []);
    const day = Date.parse('2026-11-22T00:00:00Z');
    const set = countedSet(rules.budgets[0]!);
    expect(p.plan.groups).toEqual([{ lines: [{ ref: 'b1', marker: `{tg}:bm:b1:${set}:day:${day}`, buckets: [`{tg}:b:b1:${set}:day:${day}`], limit: usd('40'), ttlMs: 2 * 86_400_000 }], pool: null }]);
    const tomorrow = planReservation({ ...ctx, now: day + 86_400_000 }, 'r2', 5n, 100, 60_000, applicableBudgets(rules, who), []);
    expect(tomorrow.plan.groups[0]!.lines[0]!.buckets[0]).toBe(`{tg}:b:b1:${set}:day:${day + 86_400_000}`);
  });

  it('groups budgets by the pool they draw on, only when the pool covers the caller', () => {
    const pool = budget('pool1', 'team:platform', 'month', '5000', { kind: 'pool' });
    const otherPool = budget('pool2', 'team:web', 'month', '5000', { kind: 'pool' });
    const rules: RuleSet = {
      budgets: [budget('b1', 'user:alice', 'day', '40', { pool: 'pool1' }), budget('b2', 'org', 'month', '10000'), budget('b3', 'key:k1', 'day', '10', { pool: 'pool2' }), pool, otherPool],
      rateLimits: [],
      modelPolicies: [],
      increases: [],
    };
    const p = planReservation({ rules, subject: who, now: NOW, timeZone: 'UTC', prefix: '{tg}:' }, 'r1', 5n, 100, 60_000, applicableBudgets(rules, who), []);
    expect(p.plan.groups.map((g) => [g.lines.map((l) => l.ref), g.pool?.ref ?? null])).toEqual([
      [['b1'], 'pool1'],
      [['b2', 'b3'], null],
    ]);
    expect(p.counters.map((c) => c.budget.id)).toEqual(['b1', 'pool1', 'b2', 'b3']);
  });

  it('adds approved increases to the limit while they are in force', () => {
    const inc: Increase = { id: 'i1', scope: parseScope('user:alice'), budgetId: null, amountPicos: usd('50'), hours: 24, reason: 'release', requestedBy: 'alice', status: 'approved', createdAt: NOW - 10, decidedAt: NOW - 5, decidedBy: 'boss', note: null, expiresAt: NOW + 1000 };
    const rules: RuleSet = { budgets: [budget('b1', 'user:alice', 'day', '40')], rateLimits: [], modelPolicies: [], increases: [inc] };
    const plan = (now: number) => planReservation({ rules, subject: who, now, timeZone: 'UTC', prefix: '' }, 'r', 1n, 1, 1, rules.budgets, []).plan.groups[0]!.lines[0]!.limit;
    expect(plan(NOW)).toBe(usd('90'));
    expect(plan(NOW + 1000)).toBe(usd('40'));
  });

  it('lays out rate limits on sliding minutes', () => {
    const limit: RateLimit = { id: 'l1', name: null, scope: parseScope('user:alice'), rpm: 60, tpm: 1000, concurrency: 2, fail: 'open', source: 'api', createdAt: 0 };
    const rules: RuleSet = { budgets: [], rateLimits: [limit], modelPolicies: [], increases: [] };
    const p = planReservation({ rules, subject: who, now: NOW, timeZone: 'UTC', prefix: '' }, 'r', 0n, 300, 1, [], [limit]);
    const minute = Date.parse('2026-11-22T12:00:00Z');
    expect(p.plan.rates).toEqual([
      { ref: 'l1', kind: 'rpm', key: `rl:l1:rpm:${minute}`, prevKey: `rl:l1:rpm:${minute - 60_000}`, prevWeight: 0.5, limit: 60, amount: 1, ttlMs: 180_000 },
      { ref: 'l1', kind: 'tpm', key: `rl:l1:tpm:${minute}`, prevKey: `rl:l1:tpm:${minute - 60_000}`, prevWeight: 0.5, limit: 1000, amount: 300, ttlMs: 180_000 },
      { ref: 'l1', kind: 'concurrency', key: 'rl:l1:conc', limit: 2 },
    ]);
  });

  it('computes retry-after from the sliding window', () => {
    const minute = Date.parse('2026-11-22T12:00:00Z');
    // 30 s in, previous minute had 60, this one 10, limit 60: need 60·w + 10 + 1 ≤ 60 → w ≤ 49/60.
    const wait = retryAfterMs('rpm', 60, 1, 10, 60, minute + 30_000);
    expect(wait).toBeGreaterThan(0);
    const w = 1 - (minute + 30_000 + wait - minute) / 60_000;
    expect(60 * w + 10 + 1).toBeLessThanOrEqual(60.01);
    // This minute alone is full: wait past the turn of the minute.
    expect(retryAfterMs('rpm', 60, 1, 60, 0, minute + 30_000)).toBeGreaterThan(30_000);
    expect(retryAfterMs('tpm', 100, 101, 0, 0, minute)).toBe(Infinity);
  });

  it('asks for the first moment admission, which floors the previous minute, lets the request in, and no later', () => {
    const minute = Date.parse('2026-11-22T12:00:00Z');
    // What the counters check (counters/memory.ts): floor(previous · w) + current + amount ≤ limit.
    const admits = (limit: number, amount: number, current: number, previous: number, at: number) => {
      const m = Math.floor(at / 60_000) * 60_000;
      const [cur, prev] = m === minute ? [current, previous] : m === minute + 60_000 ? [0, current] : [0, 0];
      return Math.floor(prev * (1 - (at - m) / 60_000)) + cur + amount <= limit;
    };
    // One a minute, used 50 s in: room again just after the turn of the minute (it said 70 s, 2 minutes from the request).
    expect(retryAfterMs('rpm', 1, 1, 1, 0, minute + 50_000)).toBe(10_001);
    for (const [limit, current, previous, offset] of [[1, 1, 0, 50_000], [10, 10, 0, 58_000], [10, 3, 10, 5_000], [60, 40, 60, 20_000], [5, 5, 5, 1_000]] as const) {
      const now = minute + offset;
      expect(admits(limit, 1, current, previous, now), `${limit}/${current}/${previous}`).toBe(false);
      const wait = retryAfterMs('rpm', limit, 1, current, previous, now);
      expect(admits(limit, 1, current, previous, now + wait), `${limit}/${current}/${previous} at +${wait}`).toBe(true);
      if (wait > 1000) expect(admits(limit, 1, current, previous, now + wait - 1000), `${limit}/${current}/${previous} before +${wait}`).toBe(false);
    }
  });
});

describe('downgradeUnderPressure', () => {
  const rules = (b: Budget[]): RuleSet => ({ budgets: b, rateLimits: [], modelPolicies: [], increases: [] });
  const b = budget('b1', 'user:alice', 'day', '10', { downgrade: { to: 'claude-haiku-4-5', atPercent: 80 } });
  const any = () => true;

  it('serves the downgrade model once the level last seen is past the threshold', () => {
    expect(downgradeUnderPressure(rules([b]), who, new Map([['b1', { level: usd('8'), limit: usd('10') }]]), any)).toBe('claude-haiku-4-5');
    expect(downgradeUnderPressure(rules([b]), who, new Map([['b1', { level: usd('7.99'), limit: usd('10') }]]), any)).toBeNull();
    expect(downgradeUnderPressure(rules([b]), who, new Map(), any)).toBeNull();
  });

  it('leaves the downgrade model itself alone', () => {
    const past = new Map([['b1', { level: usd('9'), limit: usd('10') }]]);
    expect(downgradeUnderPressure(rules([b]), { ...who, model: 'Claude-Haiku-4-5' }, past, any)).toBeNull();
  });

  it('takes the first target past its threshold that can serve the request, and asks about no other', () => {
    const b2 = budget('b2', 'team:platform', 'day', '10', { downgrade: { to: 'claude-3-5-haiku', atPercent: 50 } });
    const b3 = budget('b3', 'org', 'day', '10', { downgrade: { to: 'gpt-5-nano', atPercent: 50 } });
    const past = new Map([['b1', { level: usd('9'), limit: usd('10') }], ['b2', { level: usd('9'), limit: usd('10') }]]);
    const asked: string[] = [];
    const usable = (to: string) => (asked.push(to), to !== 'claude-haiku-4-5');
    expect(downgradeUnderPressure(rules([b, b2, b3]), who, past, usable)).toBe('claude-3-5-haiku');
    // b3 is below its threshold: its target is not even judged.
    expect(asked).toEqual(['claude-haiku-4-5', 'claude-3-5-haiku']);
    expect(downgradeUnderPressure(rules([b]), who, past, () => false)).toBeNull();
  });
});
