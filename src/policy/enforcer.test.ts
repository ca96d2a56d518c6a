import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { usd } from '../core/money.js';
import type { PriceFn } from '../metering/build-row.js';
import { MemoryCounters } from './counters/memory.js';
import { CountersUnavailable } from './counters/port.js';
import type { AdmitRequest } from './admission.js';
import { Enforcer } from './enforcer.js';
import { budgetCounter } from './plan.js';
import { parseRule, poolInput, rateLimitInput, toBudget, toRateLimit } from './rule-input.js';
import { budget, price, settings, setup } from './testing/enforcer.js';
import { createPricer } from '../pricing/index.js';
import type { Budget, RuleSet } from './rules.js';
import { type PolicyEvents, noEvents } from './threshold-watch.js';

let seq = 0;
function request(model = 'gpt-5'): AdmitRequest<{ provider: string; catalogProvider: undefined }> {
  return { id: `r${++seq}`, caller: { keyId: 'k1', user: 'alice', team: 't', project: null, tags: {} }, model, keep: false, bodyBytes: 100, json: {}, maxOutputTokens: 100, resolve: () => ({ provider: 'openai', catalogProvider: undefined }) };
}

const limit = (input: Record<string, unknown>) => toRateLimit(parseRule(rateLimitInput, input), 'api', 0);

/** An enforcer whose store runs each reservation but answers too late (a command timed out on a stalled Redis). */
function lateReplies(b: Budget) {
  const clock = { now: Date.parse('2026-11-22T10:00:00Z') };
  const rules: RuleSet = { budgets: [b], rateLimits: [], modelPolicies: [], increases: [] };
  const inner = new MemoryCounters();
  const counters = Object.assign(Object.create(inner) as MemoryCounters, {
    reserve: async (p: Parameters<MemoryCounters['reserve']>[0]) => {
      const out = await inner.reserve(p);
      if (out.ok) throw new CountersUnavailable('Redis: Command timed out');
      return out;
    },
  });
  const enforcer = new Enforcer({ rules: () => rules, counters, price, fromLedger: (c) => Promise.resolve({ marker: c.line.marker, ttlMs: 1e9, bucketTtlMs: 1e9, amounts: [] }), events: noEvents, settings, log: silentLogger, now: () => clock.now });
  return { enforcer, inner, line: budgetCounter(settings.keyPrefix, b, rules, clock.now, settings.timeZone).line };
}

describe('enforcer', () => {
  it('passes a request without admission only when there are no rules, counting it as admitted', () => {
    const clock = { now: Date.parse('2026-11-22T12:00:00Z') };
    const none = setup([], clock).enforcer;
    expect(none.admitWithoutRules()).toBe(true);
    expect(none.stats.admitted).toBe(1);
    const ruled = setup([budget({ scope: 'user:alice', window: 'day', limit_usd: 1 })], clock).enforcer;
    expect(ruled.admitWithoutRules()).toBe(false);
    expect(ruled.stats.admitted).toBe(0);
  });

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

  it('downgrades instead of refusing when the budget says so, and raises no refusal alert for it', async () => {
    const clock = { now: Date.parse('2026-11-22T10:00:00Z') };
    const cheap: PriceFn = (r) => (r.model === 'gpt-5-mini' ? { costPicos: 0n, unpriced: false } : price(r));
    const b = budget({ scope: 'user:alice', window: 'day', limit_usd: '0.1', downgrade: { at_percent: 80, to: 'gpt-5-mini' } });
    const rules: RuleSet = { budgets: [b], rateLimits: [], modelPolicies: [], increases: [] };
    const refused: string[] = [];
    const events: PolicyEvents = { ...noEvents, refused: (x, id) => void refused.push(`${x.id} ${id}`) };
    const enforcer = new Enforcer({ rules: () => rules, counters: new MemoryCounters(), price: cheap, fromLedger: (c) => Promise.resolve({ marker: c.line.marker, ttlMs: 1e9, bucketTtlMs: 1e9, amounts: [] }), events, settings, log: silentLogger, now: () => clock.now });
    const a = await enforcer.admit(request('gpt-5'));
    expect(a).toMatchObject({ model: 'gpt-5-mini', rewrittenFrom: 'gpt-5', headers: { 'x-tollgate-model-rewritten': 'gpt-5->gpt-5-mini' } });
    expect(refused).toEqual([]);
  });

  it('raises the refusal alert for a request it refuses', async () => {
    const clock = { now: Date.parse('2026-11-22T10:00:00Z') };
    const refused: string[] = [];
    const events: PolicyEvents = { ...noEvents, refused: (b, id) => void refused.push(`${b.id} ${id}`) };
    const { enforcer } = setup([budget({ id: 'tiny', scope: 'user:alice', window: 'day', limit_usd: '0.1' })], clock, events);
    const req = request();
    await expect(enforcer.admit(req)).rejects.toMatchObject({ code: 'budget_exceeded' });
    expect(refused).toEqual([`tiny ${req.id}`]);
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
    const { enforcer, inner, line } = lateReplies(budget({ scope: 'user:alice', window: 'day', limit_usd: 1 }));
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

  it('judges thresholds on settled spend, not on what other requests in flight hold', async () => {
    const clock = { now: Date.parse('2026-11-22T10:00:00Z') };
    const raised: [number, bigint][] = [];
    const events: PolicyEvents = { ...noEvents, threshold: (_b, pct, level) => void raised.push([pct, level]) };
    const { enforcer } = setup([budget({ scope: 'user:alice', window: 'day', limit_usd: 1 })], clock, events);
    // Three requests in flight hold $0.60 between them while a fourth settles at $0.05: 5% spent.
    const held = [await enforcer.admit(request()), await enforcer.admit(request()), await enforcer.admit(request())];
    (await enforcer.admit(request())).settle(usd('0.05'), 50);
    await new Promise((r) => setTimeout(r, 0));
    expect(raised).toEqual([]);
    // They settle for real: $0.05 + 3 × $0.15 = $0.50, the 50% threshold, told at the spend.
    for (const a of held) a.settle(usd('0.15'), 150);
    await new Promise((r) => setTimeout(r, 0));
    expect(raised).toEqual([[50, usd('0.5')]]);
  });
});

describe('enforcer across fallback attempts', () => {
  const clock = { now: Date.parse('2026-11-22T12:00:00Z') };
  const openai = { provider: 'openai', catalogProvider: undefined };
  const tick = () => new Promise((r) => setTimeout(r, 0));

  it('lets attempts on the admitted model and provider through synchronously, settled to the total as before', async () => {
    const team = budget({ scope: 'team:t', window: 'day', limit_usd: 10 });
    const big = budget({ scope: 'model:gpt-5', window: 'day', limit_usd: 10 });
    const { enforcer, read } = setup([team, big], clock);
    const a = await enforcer.admit(request());
    expect(a.attempt(1, 'gpt-5', openai, 'gpt-5')).toEqual({ ok: true });
    expect(a.attempt(2, 'gpt-5', openai, 'gpt-5')).toEqual({ ok: true });
    a.settle(usd('0.3'), 300, [
      { n: 1, costPicos: usd('0.1') },
      { n: 2, costPicos: usd('0.2') },
    ]);
    await tick();
    expect(await read(team)).toMatchObject({ spent: usd('0.3'), held: 0n });
    expect(await read(big)).toMatchObject({ spent: usd('0.3'), held: 0n });
    expect(enforcer.stats.fallbackHolds).toBe(0);
  });

  it('charges a pool that paid for both models once, for both attempts', async () => {
    const pool = toBudget(parseRule(poolInput, { id: 'shared', scope: 'team:t', window: 'day', limit_usd: 10 }), 'pool', 'api', 0);
    // Each model's own budget is smaller than the $0.20 estimate, so the pool pays for both reservations.
    const big = budget({ scope: 'model:gpt-5', window: 'day', limit_usd: 0.1, pool: 'shared' });
    const mini = budget({ scope: 'model:gpt-5-mini', window: 'day', limit_usd: 0.1, pool: 'shared' });
    const { enforcer, read } = setup([pool, big, mini], clock);
    const a = await enforcer.admit(request());
    expect(a.pool).toBe('shared');
    expect(await a.attempt(2, 'gpt-5-mini', openai, 'gpt-5-mini')).toEqual({ ok: true });
    expect(await read(pool)).toMatchObject({ held: usd('0.4') });
    a.settle(usd('0.15'), 150, [
      { n: 1, costPicos: usd('0.05') },
      { n: 2, costPicos: usd('0.1') },
    ]);
    await tick();
    expect(await read(pool)).toMatchObject({ spent: usd('0.15'), held: 0n });
    expect(await read(big)).toMatchObject({ spent: 0n, held: 0n });
    expect(await read(mini)).toMatchObject({ spent: 0n, held: 0n });
  });

  it('settles a request its process died serving, fallback holds too, at its recorded cost', async () => {
    const big = budget({ scope: 'model:gpt-5', window: 'day', limit_usd: 10 });
    const mini = budget({ scope: 'model:gpt-5-mini', window: 'day', limit_usd: 10 });
    const { enforcer, read } = setup([big, mini], clock);
    const a = await enforcer.admit({ ...request(), id: 'dead-1' });
    expect(await a.attempt(2, 'gpt-5-mini', openai, 'gpt-5-mini')).toEqual({ ok: true });
    expect((await read(mini)).held).toBeGreaterThan(0n);
    // The process died here; the next start recorded the row and settles what it held.
    enforcer.settleRecovered([{ id: 'dead-1', actual: usd('0.05'), tokens: 100, attempts: 2 }]);
    await new Promise((r) => setTimeout(r, 50));
    expect(await read(big)).toMatchObject({ spent: usd('0.05'), held: 0n });
    expect(await read(mini)).toMatchObject({ spent: usd('0.05'), held: 0n });
  });

  it('releases a fallback reservation that completes after the request ended', async () => {
    const mini = budget({ scope: 'model:gpt-5-mini', window: 'day', limit_usd: 10 });
    const { enforcer, read } = setup([budget({ scope: 'model:gpt-5', window: 'day', limit_usd: 10 }), mini], clock);
    const a = await enforcer.admit(request());
    const pending = a.attempt(2, 'gpt-5-mini', openai, 'gpt-5-mini');
    expect(pending).toBeInstanceOf(Promise);
    a.settle(0n, 0, [{ n: 1, costPicos: 0n }]);
    expect(await pending).toEqual({ ok: true });
    await tick();
    expect(await read(mini)).toMatchObject({ spent: 0n, held: 0n });
  });

  it('a closed refusal lets go of the reservation its timed-out reserve made when the store ran it late (it would hold for the whole lease)', async () => {
    const { enforcer, inner, line } = lateReplies(budget({ scope: 'user:alice', window: 'day', limit_usd: 1, fail: 'closed' }));
    await expect(enforcer.admit(request())).rejects.toMatchObject({ code: 'budget_unavailable' });
    expect(enforcer.stats.failClosed).toBe(1);
    await new Promise((r) => setTimeout(r, 10));
    expect((await inner.read([line]))[0]).toMatchObject({ spent: 0n, held: 0n });
  });

  it('follows a fallback budget fail mode when the counters are down', async () => {
    const closed = budget({ scope: 'model:gpt-5-mini', window: 'day', limit_usd: 10, fail: 'closed' });
    const openB = budget({ scope: 'provider:azure', window: 'day', limit_usd: 10 });
    const { enforcer } = setup([budget({ scope: 'model:gpt-5', window: 'day', limit_usd: 10 }), closed, openB], clock);
    const a = await enforcer.admit(request());
    const counters = (enforcer as unknown as { d: { counters: MemoryCounters } }).d.counters;
    counters.reserve = () => Promise.reject(new CountersUnavailable('Redis: down'));
    expect(await a.attempt(2, 'gpt-5-mini', openai, 'gpt-5-mini')).toMatchObject({ ok: false, error: { code: 'budget_unavailable' } });
    expect(await a.attempt(2, 'gpt-5', { provider: 'azure', catalogProvider: undefined }, 'gpt-5')).toEqual({ ok: true });
    expect(enforcer.stats).toMatchObject({ failClosed: 1, failOpen: 1, fallbackRefused: 1, fallbackHolds: 1 });
  });
});

describe('enforcer on fallback attempts: rate limits, alerts, output caps, settlement', () => {
  const clock = { now: Date.parse('2026-11-22T12:00:00Z') };
  const openai = { provider: 'openai', catalogProvider: undefined };
  const tick = () => new Promise((r) => setTimeout(r, 0));

  it('counts a rate limit scoped to the fallback model against fallback attempts, and refuses them with its 429', async () => {
    const team = limit({ scope: 'team:t', rpm: 10 });
    const mini = limit({ id: 'mini-rpm', scope: 'model:gpt-5-mini', rpm: 1 });
    const { enforcer } = setup([], clock, noEvents, [team, mini]);
    const first = await enforcer.admit(request());
    expect(await first.attempt(2, 'gpt-5-mini', openai, 'gpt-5-mini')).toEqual({ ok: true });
    // A second attempt to the same model in the same request is not counted again.
    expect(await first.attempt(3, 'gpt-5-mini', openai, 'gpt-5-mini')).toEqual({ ok: true });
    const second = await enforcer.admit(request());
    const v = await second.attempt(2, 'gpt-5-mini', openai, 'gpt-5-mini');
    expect(v).toMatchObject({ ok: false, error: { code: 'rate_limited', status: 429, details: { rate_limit_id: 'mini-rpm', limit: 'rpm' } } });
    expect(v.ok === false && Number(v.error.headers['retry-after'])).toBeGreaterThan(0);
    expect(enforcer.stats).toMatchObject({ admitted: 2, fallbackHolds: 1, fallbackRefused: 1 });
  });

  it('takes and gives back a concurrency slot of a limit scoped to the fallback model', async () => {
    const conc = limit({ scope: 'model:gpt-5-mini', concurrency: 1 });
    const { enforcer } = setup([], clock, noEvents, [conc]);
    const a = await enforcer.admit(request());
    expect(await a.attempt(2, 'gpt-5-mini', openai, 'gpt-5-mini')).toEqual({ ok: true });
    const b = await enforcer.admit(request());
    expect(await b.attempt(2, 'gpt-5-mini', openai, 'gpt-5-mini')).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    a.settle(0n, 0, [{ n: 2, costPicos: 0n }]);
    await tick();
    const c = await enforcer.admit(request());
    expect(await c.attempt(2, 'gpt-5-mini', openai, 'gpt-5-mini')).toEqual({ ok: true });
  });

  it("raises a fallback budget's refusal alert only when the client gets the refusal", async () => {
    const refused: string[] = [];
    const events: PolicyEvents = { ...noEvents, refused: (b, id) => void refused.push(`${b.id} ${id}`) };
    const { enforcer } = setup([budget({ id: 'mini', scope: 'model:gpt-5-mini', window: 'day', limit_usd: '0.1' })], clock, events);
    const req = request();
    const a = await enforcer.admit(req);
    const v = await a.attempt(2, 'gpt-5-mini', openai, 'gpt-5-mini');
    expect(v).toMatchObject({ ok: false, error: { code: 'budget_exceeded' } });
    expect(refused).toEqual([]);
    if (!v.ok) {
      v.final();
      v.final();
    }
    expect(refused).toEqual([`mini ${req.id}`]);
  });

  it("lowers the output cap for a fallback whose budget enforces max tokens and has room for less", async () => {
    const mini = budget({ scope: 'model:gpt-5-mini', window: 'day', limit_usd: '0.15', enforce_max_tokens: true });
    const { enforcer, read } = setup([budget({ scope: 'model:gpt-5', window: 'day', limit_usd: 10 }), mini], clock);
    const a = await enforcer.admit(request());
    expect(a.capOutputTokens).toBeUndefined();
    // $0.15 covers 100 input and 50 output tokens of the request's 100.
    expect(await a.attempt(2, 'gpt-5-mini', openai, 'gpt-5-mini')).toEqual({ ok: true, capOutputTokens: 50 });
    expect(await read(mini)).toMatchObject({ held: usd('0.15') });
    // The cap sticks for the request's later attempts on that model.
    expect(await a.attempt(3, 'gpt-5-mini', openai, 'gpt-5-mini')).toEqual({ ok: true, capOutputTokens: 50 });
  });

  it("lowers admission's cap further when a budget held at admission enforces max tokens", async () => {
    // The team budget enforces and leaves room for 80 output tokens; the fallback's own budget for 50.
    const team = budget({ scope: 'team:t', window: 'day', limit_usd: '0.18', enforce_max_tokens: true });
    const mini = budget({ scope: 'model:gpt-5-mini', window: 'day', limit_usd: '0.15' });
    const { enforcer } = setup([team, mini], clock);
    const a = await enforcer.admit(request());
    expect(a.capOutputTokens).toBe(80);
    expect(await a.attempt(2, 'gpt-5-mini', openai, 'gpt-5-mini')).toEqual({ ok: true, capOutputTokens: 50 });
  });

  it('settles every reservation of a request that fell back in one call to the counters', async () => {
    const big = budget({ scope: 'model:gpt-5', window: 'day', limit_usd: 10 });
    const mini = budget({ scope: 'model:gpt-5-mini', window: 'day', limit_usd: 10 });
    // 200 tokens estimated per request (100 in, 100 out).
    const { enforcer, read, counters } = setup([big, mini], clock, noEvents, [limit({ scope: 'model:gpt-5-mini', tpm: 250 })]);
    const calls: number[] = [];
    const settle = counters.settle.bind(counters);
    counters.settle = (items, now) => {
      calls.push(items.length);
      return settle(items, now);
    };
    const a = await enforcer.admit(request());
    expect(await a.attempt(2, 'gpt-5-mini', openai, 'gpt-5-mini')).toEqual({ ok: true });
    a.settle(usd('0.1'), 100, [
      { n: 1, costPicos: 0n },
      { n: 2, costPicos: usd('0.1') },
    ]);
    await tick();
    expect(calls).toEqual([2]);
    expect(await read(big)).toMatchObject({ spent: 0n, held: 0n });
    expect(await read(mini)).toMatchObject({ spent: usd('0.1'), held: 0n });
    // The fallback's tpm now counts the request's 100 tokens: another 200 do not fit.
    const b = await enforcer.admit(request());
    expect(await b.attempt(2, 'gpt-5-mini', openai, 'gpt-5-mini')).toMatchObject({ ok: false, error: { code: 'rate_limited', details: { limit: 'tpm' } } });
  });
});

describe('enforcer estimates with price modifiers', () => {
  it('reserves a fast-mode request at its premium and a US-run one at 1.1x, as they will be billed', async () => {
    const clock = { now: Date.parse('2026-11-22T10:00:00Z') };
    const b = budget({ scope: 'user:alice', window: 'day', limit_usd: 100 });
    const { enforcer, read } = setup([b], clock, noEvents, [], [], createPricer());
    const ask = (modifiers?: { speed?: string; inferenceGeo?: string }) => ({ ...request('claude-opus-5-5'), modifiers, resolve: () => ({ provider: 'anthropic', catalogProvider: 'anthropic' }) });
    // claude-opus-5-5: 100 bytes counted as input at the dearest input rate (the 1-hour write, 8e6) + 100 out × 20e6 = 2.8e9 picos.
    await enforcer.admit(ask());
    expect((await read(b)).held).toBe(2_800_000_000n);
    await enforcer.admit(ask({ speed: 'fast', inferenceGeo: 'us' }));
    expect((await read(b)).held).toBe(2_800_000_000n + 6_160_000_000n);
  });
});
