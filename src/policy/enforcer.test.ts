import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { usd } from '../core/money.js';
import type { PriceFn } from '../metering/build-row.js';
import { MemoryCounters } from './counters/memory.js';
import { CountersUnavailable } from './counters/port.js';
import { type AdmitRequest, Enforcer } from './enforcer.js';
import { budgetCounter } from './plan.js';
import { budgetInput, parseRule, toBudget } from './rule-input.js';
import type { Budget, RuleSet } from './rules.js';
import { DEFAULT_POLICY_SETTINGS } from './settings.js';
import { type PolicyEvents, noEvents } from './threshold-watch.js';

/** $1 per 1,000 tokens in and out, so a 100-byte request with max_tokens 100 is estimated at $0.20. */
const price: PriceFn = (r) => ({ costPicos: BigInt(r.usage.inputTokens + r.usage.outputTokens) * 1_000_000_000n, unpriced: false });
const settings = { ...DEFAULT_POLICY_SETTINGS, timeZone: 'Europe/Berlin' };

function setup(budgets: Budget[], clock: { now: number }, events: PolicyEvents = noEvents) {
  const rules: RuleSet = { budgets, rateLimits: [], modelPolicies: [], increases: [] };
  const counters = new MemoryCounters();
  const enforcer = new Enforcer({
    rules: () => rules,
    counters,
    price,
    fromLedger: (c) => Promise.resolve({ marker: c.line.marker, ttlMs: c.line.ttlMs, bucketTtlMs: c.line.ttlMs, amounts: [] }),
    events,
    settings,
    log: silentLogger,
    now: () => clock.now,
  });
  const read = async (b: Budget) => (await counters.read([budgetCounter(settings.keyPrefix, b, rules, clock.now, settings.timeZone).line]))[0]!;
  return { enforcer, read };
}

let seq = 0;
function request(model = 'gpt-5'): AdmitRequest<{ provider: string; catalogProvider: undefined }> {
  return { id: `r${++seq}`, caller: { keyId: 'k1', user: 'alice', team: 't', project: null, tags: {} }, model, keep: false, bodyBytes: 100, json: {}, maxOutputTokens: 100, resolve: () => ({ provider: 'openai', catalogProvider: undefined }) };
}

const budget = (input: Record<string, unknown>) => toBudget(parseRule(budgetInput, input), 'budget', 'api', 0);

describe('enforcer', () => {
  it('refuses at the limit, then starts afresh at local midnight without touching the old window', async () => {
    const clock = { now: Date.parse('2026-11-22T22:00:00Z') }; // 23:00 in Berlin
    const b = budget({ scope: 'user:alice', window: 'day', limit_usd: 1 });
    const { enforcer, read } = setup([b], clock);
    for (let i = 0; i < 5; i++) (await enforcer.admit(request())).settle(usd('0.2'), 200);
    await expect(enforcer.admit(request())).rejects.toMatchObject({ code: 'budget_exceeded', status: 402 });
    await new Promise((r) => setTimeout(r, 0));
    const before = await read(b);
    expect(before.spent).toBe(usd('1'));

    clock.now = Date.parse('2026-11-22T23:00:00Z'); // midnight in Berlin
    const a = await enforcer.admit(request());
    a.settle(usd('0.1'), 100);
    await new Promise((r) => setTimeout(r, 0));
    expect((await read(b)).spent).toBe(usd('0.1'));
    clock.now = Date.parse('2026-11-22T22:30:00Z');
    expect((await read(b)).spent).toBe(usd('1'));
  });

  it('refuses a request whose estimate alone exceeds the limit, naming the remedy', async () => {
    const clock = { now: Date.parse('2026-11-22T10:00:00Z') };
    const { enforcer } = setup([budget({ scope: 'user:alice', window: 'month', limit_usd: '0.1' })], clock);
    const err = (await enforcer.admit(request()).catch((e: unknown) => e)) as GatewayError;
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.message).toMatch(/This request could cost more than the monthly budget for user:alice allows in total/);
    expect(err.message).toMatch(/resets at 2026-12-01T00:00:00\+01:00/);
    expect(err.details).toMatchObject({ limit_usd: '0.1', request_estimate_usd: '0.2' });
  });

  it('hides amounts when configured to', async () => {
    const clock = { now: Date.parse('2026-11-22T10:00:00Z') };
    const rules: RuleSet = { budgets: [budget({ scope: 'user:alice', window: 'day', limit_usd: '0.1' })], rateLimits: [], modelPolicies: [], increases: [] };
    const enforcer = new Enforcer({ rules: () => rules, counters: new MemoryCounters(), price, fromLedger: (c) => Promise.resolve({ marker: c.line.marker, ttlMs: 1e9, bucketTtlMs: 1e9, amounts: [] }), events: noEvents, settings: { ...settings, showAmounts: false }, log: silentLogger, now: () => clock.now });
    const err = (await enforcer.admit(request()).catch((e: unknown) => e)) as GatewayError;
    expect(err.message).not.toMatch(/\$/);
    expect(err.details).not.toHaveProperty('limit_usd');
  });

  it('downgrades instead of refusing when the budget says so', async () => {
    const clock = { now: Date.parse('2026-11-22T10:00:00Z') };
    const cheap: PriceFn = (r) => (r.model === 'gpt-5-mini' ? { costPicos: 0n, unpriced: false } : price(r));
    const b = budget({ scope: 'user:alice', window: 'day', limit_usd: '0.1', downgrade: { at_percent: 80, to: 'gpt-5-mini' } });
    const rules: RuleSet = { budgets: [b], rateLimits: [], modelPolicies: [], increases: [] };
    const enforcer = new Enforcer({ rules: () => rules, counters: new MemoryCounters(), price: cheap, fromLedger: (c) => Promise.resolve({ marker: c.line.marker, ttlMs: 1e9, bucketTtlMs: 1e9, amounts: [] }), events: noEvents, settings, log: silentLogger, now: () => clock.now });
    const a = await enforcer.admit(request('gpt-5'));
    expect(a).toMatchObject({ model: 'gpt-5-mini', rewrittenFrom: 'gpt-5', headers: { 'x-tollgate-model-rewritten': 'gpt-5->gpt-5-mini' } });
  });

  it('caps output upstream to what the budget still covers when enforce_max_tokens is on', async () => {
    const clock = { now: Date.parse('2026-11-22T10:00:00Z') };
    const b = budget({ scope: 'user:alice', window: 'day', limit_usd: '0.15', enforce_max_tokens: true });
    const { enforcer, read } = setup([b], clock);
    const a = await enforcer.admit(request());
    // $0.15 covers 100 input + 50 output tokens.
    expect(a.capOutputTokens).toBe(50);
    expect((await read(b)).held).toBe(usd('0.15'));
  });

  it('fails open when a reserve times out, and settles the reservation if it did reach the store', async () => {
    const clock = { now: Date.parse('2026-11-22T10:00:00Z') };
    const b = budget({ scope: 'user:alice', window: 'day', limit_usd: 1 });
    const rules: RuleSet = { budgets: [b], rateLimits: [], modelPolicies: [], increases: [] };
    const inner = new MemoryCounters();
    // The store ran the reservation, but the reply came too late.
    const counters = Object.assign(Object.create(inner) as MemoryCounters, {
      reserve: async (p: Parameters<MemoryCounters['reserve']>[0]) => {
        const out = await inner.reserve(p);
        if (out.ok) throw new CountersUnavailable('Redis: Command timed out');
        return out;
      },
    });
    const enforcer = new Enforcer({ rules: () => rules, counters, price, fromLedger: (c) => Promise.resolve({ marker: c.line.marker, ttlMs: 1e9, bucketTtlMs: 1e9, amounts: [] }), events: noEvents, settings, log: silentLogger, now: () => clock.now });
    const line = budgetCounter(settings.keyPrefix, b, rules, clock.now, settings.timeZone).line;
    const a = await enforcer.admit(request());
    expect(enforcer.stats.failOpen).toBe(1);
    expect((await inner.read([line]))[0]).toMatchObject({ held: usd('0.2') });
    a.settle(usd('0.05'), 50);
    await new Promise((r) => setTimeout(r, 0));
    expect((await inner.read([line]))[0]).toMatchObject({ spent: usd('0.05'), held: 0n });
  });

  it('raises each threshold once per window', async () => {
    const clock = { now: Date.parse('2026-11-22T10:00:00Z') };
    const raised: number[] = [];
    const events: PolicyEvents = { ...noEvents, threshold: (_b, pct) => void raised.push(pct) };
    const { enforcer } = setup([budget({ scope: 'user:alice', window: 'day', limit_usd: 1 })], clock, events);
    for (let i = 0; i < 5; i++) {
      (await enforcer.admit(request())).settle(usd('0.2'), 200);
      await new Promise((r) => setTimeout(r, 0));
    }
    expect(raised).toEqual([50, 80, 100]);
  });
});
