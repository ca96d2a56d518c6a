import { silentLogger } from '../src/core/logger.js';
import { type Picos, usd } from '../src/core/money.js';
import type { PriceFn } from '../src/metering/build-row.js';
import { MemoryCounters } from '../src/policy/counters/memory.js';
import type { Admission, Served } from '../src/policy/admission.js';
import { Enforcer } from '../src/policy/enforcer.js';
import { budgetCounter } from '../src/policy/plan.js';
import { budgetInput, parseRule, toBudget } from '../src/policy/rule-input.js';
import type { RuleSet } from '../src/policy/rules.js';
import { DEFAULT_POLICY_SETTINGS } from '../src/policy/settings.js';
import { noEvents } from '../src/policy/threshold-watch.js';

/** $10 per million input tokens, $30 per million output. */
const price: PriceFn = (r) => ({ costPicos: BigInt(r.usage.inputTokens) * 10_000_000n + BigInt(r.usage.outputTokens) * 30_000_000n, unpriced: false });
const LIMIT = usd('1');
const BODY_BYTES = 400;
const DEFAULT_CAP = 1000;

export interface OvershootRow {
  inFlight: number;
  admitted: number;
  /** Settled spend minus the limit (zero when under it). */
  overshoot: Picos;
  /** The stated bound: the excess over their estimates of the requests in flight at the last admission. */
  bound: Picos;
}

/** A deterministic generator, so that runs compare. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/**
 * Requests without max_tokens against a $1 budget, through the real enforcer and
 * counters: the estimate assumes the default output cap (1000 tokens), while one answer
 * in five runs to 3000. `inFlight` requests are open at once; one settles, at random,
 * before the next is sent.
 */
export async function measureOvershoot(inFlight: number): Promise<OvershootRow> {
  const b = toBudget(parseRule(budgetInput, { scope: 'user:dev', window: 'day', limit_usd: 1 }), 'budget', 'config', 0);
  const rules: RuleSet = { budgets: [b], rateLimits: [], modelPolicies: [], increases: [] };
  const counters = new MemoryCounters();
  const now = Date.UTC(2026, 11, 2, 12);
  const settings = { ...DEFAULT_POLICY_SETTINGS, defaultMaxOutputTokens: DEFAULT_CAP };
  const enforcer = new Enforcer({
    rules: () => rules,
    counters,
    price,
    fromLedger: (c) => Promise.resolve({ marker: c.line.marker, ttlMs: c.line.ttlMs, bucketTtlMs: c.line.ttlMs, amounts: [] }),
    events: noEvents,
    settings,
    log: silentLogger,
    now: () => now,
  });
  const line = budgetCounter(settings.keyPrefix, b, rules, now, settings.timeZone).line;
  const random = rng(inFlight);
  const estimate = BigInt(BODY_BYTES) * 10_000_000n + BigInt(DEFAULT_CAP) * 30_000_000n;
  const open: { a: Admission<Served>; cost: Picos }[] = [];
  let admitted = 0;
  let bound = 0n;
  let refusedInARow = 0;
  const settleOne = async () => {
    const [done] = open.splice(Math.floor(random() * open.length), 1);
    done!.a.settle(done!.cost, 0);
    await new Promise((r) => setImmediate(r));
  };
  for (let i = 0; refusedInARow < 50 && i < 100_000; i++) {
    const output = random() < 0.2 ? 3000 : 300;
    const cost = BigInt(BODY_BYTES) * 10_000_000n + BigInt(output) * 30_000_000n;
    try {
      const a = await enforcer.admit({ id: `r${i}`, caller: { keyId: 'k', user: 'dev', team: null, project: null, tags: {} }, model: 'm', keep: false, bodyBytes: BODY_BYTES, json: {}, maxOutputTokens: undefined, resolve: () => ({ provider: 'p', catalogProvider: undefined }) });
      open.push({ a, cost });
      admitted++;
      refusedInARow = 0;
      bound = open.reduce((s, o) => s + (o.cost > estimate ? o.cost - estimate : 0n), 0n);
    } catch {
      refusedInARow++;
      if (open.length === 0) break;
    }
    if (open.length >= inFlight || refusedInARow > 0) await settleOne();
  }
  while (open.length > 0) await settleOne();
  const [read] = await counters.read([line]);
  const spent = read!.spent;
  return { inFlight, admitted, overshoot: spent > LIMIT ? spent - LIMIT : 0n, bound };
}
