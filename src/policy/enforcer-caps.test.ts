import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { usd } from '../core/money.js';
import { createPricer } from '../pricing/index.js';
import { MemoryCounters } from './counters/memory.js';
import type { AdmitRequest } from './admission.js';
import { Enforcer } from './enforcer.js';
import { BatchTotals } from './batch-estimate.js';
import { estimateCost } from './estimate.js';
import { budgetCounter } from './plan.js';
import type { Budget, RuleSet } from './rules.js';
import { budget, settings } from './testing/enforcer.js';
import { noEvents } from './threshold-watch.js';

// Output caps as clients send them, priced by the real catalog (gpt-4o-mini: $0.15/M in, $0.60/M out).

const AT = Date.parse('2026-11-22T10:00:00Z');
const pricer = createPricer();
let seq = 0;

function request(maxOutputTokens: number | undefined): AdmitRequest<{ provider: string; catalogProvider: string }> {
  const caller = { keyId: 'k1', user: 'alice', team: 'platform', project: null, tags: {} };
  return { id: `c${++seq}`, caller, model: 'gpt-4o-mini', keep: false, bodyBytes: 100, json: {}, maxOutputTokens, resolve: () => ({ provider: 'openai', catalogProvider: 'openai' }) };
}

function setup(b: Budget) {
  const rules: RuleSet = { budgets: [b], rateLimits: [], modelPolicies: [], increases: [] };
  const counters = new MemoryCounters();
  const warnings: string[] = [];
  const log: Logger = { debug: () => undefined, info: () => undefined, warn: (msg) => void warnings.push(msg), error: () => undefined };
  const enforcer = new Enforcer({
    rules: () => rules,
    counters,
    price: pricer,
    fromLedger: (c) => Promise.resolve({ marker: c.line.marker, ttlMs: c.line.ttlMs, bucketTtlMs: c.line.ttlMs, amounts: [] }),
    events: noEvents,
    settings,
    log,
    now: () => AT,
  });
  const held = async () => (await counters.read([budgetCounter(settings.keyPrefix, b, rules, AT, settings.timeZone).line]))[0]!.held;
  return { enforcer, held, warnings };
}

const team = (input: Record<string, unknown> = {}) => budget({ scope: 'team:platform', window: 'month', limit_usd: 400, ...input });
const estimate = (outputTokens: number) => estimateCost({ inputTokens: 100, outputTokens }, { price: pricer, provider: 'openai', catalogProvider: 'openai', model: 'gpt-4o-mini', at: new Date(AT) });
const HUGE = [1e15, Number.MAX_SAFE_INTEGER, 1e17, 1e20, 1e308];

describe('client output caps at admission', () => {
  it('admits a fractional cap, reserving it rounded up to a whole token', async () => {
    for (const [cap, whole] of [[1.5, 2], [0.5, 1], [2.5, 3], [7.25, 8]] as const) {
      const { enforcer, held } = setup(team());
      const a = await enforcer.admit(request(cap));
      expect(await held()).toBe(estimate(whole));
      a.settle(0n, 0);
    }
  });

  it('refuses a cap too large to price as costing more than the whole limit, without calling the model unpriced', async () => {
    for (const cap of HUGE) {
      const { enforcer, held, warnings } = setup(team());
      const err = (await enforcer.admit(request(cap)).catch((e: unknown) => e)) as GatewayError;
      expect(err).toBeInstanceOf(GatewayError);
      expect(err.code).toBe('budget_exceeded');
      expect(err.message).toContain('This request could cost more than the monthly budget for team:platform allows in total ($0.00 of $400.00 is spent');
      expect(err.message).toContain('could cost more than can be counted');
      expect(await held()).toBe(0n);
      expect(warnings).toEqual([]);
    }
  });

  it('says no $0 estimate when a spent budget refuses a huge cap', async () => {
    const { enforcer } = setup(team());
    (await enforcer.admit(request(10))).settle(usd('400'), 110);
    await new Promise((r) => setTimeout(r, 0));
    const err = (await enforcer.admit(request(1e20)).catch((e: unknown) => e)) as GatewayError;
    expect(err.code).toBe('budget_exceeded');
    expect(err.message).toContain('($400.00 of $400.00 is spent or held by requests in flight, and this request could cost more than can be counted');
    expect(err.message).not.toMatch(/\$0\.0/);
  });

  it('shortens a huge cap to what the budget covers under enforce_max_tokens', async () => {
    const { enforcer, held } = setup(team({ limit_usd: 1, enforce_max_tokens: true }));
    const a = await enforcer.admit(request(1e20));
    // $1 less 100 input tokens at $0.15/M, at $0.60/M of output.
    expect(a.capOutputTokens).toBe(Math.floor((1e12 - 100 * 150_000) / 600_000));
    expect(await held()).toBeLessThanOrEqual(usd(1));
  });

  it('estimates a batch’s fractional caps rounded up, and refuses huge ones as more than the whole limit', async () => {
    const totals = (...caps: number[]) => {
      const t = new BatchTotals(settings);
      for (const cap of caps) t.add({ model: 'gpt-4o-mini', json: {}, bodyBytes: 50, maxOutputTokens: cap });
      return t.totals;
    };
    const batch = (caps: number[]) => ({ id: `b${++seq}`, caller: { keyId: 'k1', user: 'alice', team: 'platform', project: null, tags: {} }, totals: totals(...caps), served: { provider: 'openai', catalogProvider: 'openai' } });
    const { enforcer, held } = setup(team());
    const a = await enforcer.admitBatch(batch([1.5, 0.5]));
    expect(await held()).toBeGreaterThan(0n);
    a.settle();
    // Two caps of 1e308 sum past what a double holds (Infinity).
    for (const caps of [[1e20], [1e308, 1e308]]) await expect(enforcer.admitBatch(batch(caps))).rejects.toMatchObject({ code: 'budget_exceeded', message: expect.stringContaining('this batch could cost more than can be counted') });
  });
});
