import { describe, expect, it } from 'vitest';
import { usd } from '../core/money.js';
import type { AdmitRequest } from './admission.js';
import { budgetCounter } from './plan.js';
import { parseRule, poolInput, toBudget } from './rule-input.js';
import type { Budget } from './rules.js';
import { budget, settings, setup } from './testing/enforcer.js';
import { type PolicyEvents, noEvents } from './threshold-watch.js';

let seq = 0;
/** Estimated at $0.20 by the test price (100 bytes in, 100 tokens out). */
function request(user = 'alice', team = 't'): AdmitRequest<{ provider: string; catalogProvider: undefined }> {
  return { id: `s${++seq}`, caller: { keyId: 'k1', user, team, project: null, tags: {} }, model: 'gpt-5', keep: false, bodyBytes: 100, json: {}, maxOutputTokens: 100, resolve: () => ({ provider: 'openai', catalogProvider: undefined }) };
}

const tick = () => new Promise((r) => setTimeout(r, 0));
const openai = { provider: 'openai', catalogProvider: undefined };

/** An enforcer whose rules can change while requests run, and a way to start a budget's counter as a request on it would. */
function changing(budgets: Budget[], events: PolicyEvents = noEvents) {
  const clock = { now: Date.parse('2026-11-22T10:00:00Z') };
  const t = setup(budgets, clock, events);
  const rules = () => ({ budgets, rateLimits: [], modelPolicies: [], increases: [] });
  const start = (...bs: Budget[]) => t.counters.initialize(bs.map((b) => ({ marker: budgetCounter(settings.keyPrefix, b, rules(), clock.now, settings.timeZone).line.marker, ttlMs: 86_400_000, bucketTtlMs: 86_400_000, amounts: [] })));
  return { ...t, clock, start };
}

describe('the settlement of a request, for budgets made while it ran', () => {
  it('charges a budget made while a request admitted under no rules ran, and tells its thresholds', async () => {
    const raised: [string, number][] = [];
    const budgets: Budget[] = [];
    const { enforcer, read, start } = changing(budgets, { ...noEvents, threshold: (b, pct) => void raised.push([b.id, pct]) });
    const a = await enforcer.admit(request());
    const b = budget({ scope: 'user:alice', window: 'day', limit_usd: '0.1', thresholds: [50] });
    budgets.push(b);
    // Another request reserved on it meanwhile: its counter started from the ledger, which lacks the first request.
    await start(b);
    a.settle(usd('0.06'), 60);
    await tick();
    expect(await read(b)).toMatchObject({ spent: usd('0.06'), held: 0n });
    expect(raised).toEqual([[b.id, 50]]);
    // Once: a second settlement (the gateway settles once anyway) changes nothing.
    a.settle(usd('0.06'), 60);
    await tick();
    expect((await read(b)).spent).toBe(usd('0.06'));
  });

  it('charges a new budget with a reservation’s settlement, not again those it reserved on, nor one drawing on the pool that paid', async () => {
    const pool = toBudget(parseRule(poolInput, { id: 'P', scope: 'team:t', window: 'day', limit_usd: 10 }), 'pool', 'api', 0);
    // Smaller than the $0.20 estimate: the pool pays.
    const own = budget({ scope: 'user:alice', window: 'day', limit_usd: '0.1', pool: 'P' });
    const team = budget({ scope: 'team:t', window: 'day', limit_usd: 10 });
    const budgets = [pool, own, team];
    const { enforcer, read, start } = changing(budgets);
    const a = await enforcer.admit(request());
    expect(a.pool).toBe('P');
    const model = budget({ scope: 'model:gpt-5', window: 'day', limit_usd: 10 });
    const org = budget({ scope: 'org', window: 'day', limit_usd: 10, pool: 'P' });
    budgets.push(model, org);
    await start(model, org);
    a.settle(usd('0.15'), 150);
    await tick();
    expect(await read(pool)).toMatchObject({ spent: usd('0.15'), held: 0n });
    expect(await read(team)).toMatchObject({ spent: usd('0.15'), held: 0n });
    expect(await read(own)).toMatchObject({ spent: 0n, held: 0n });
    expect(await read(model)).toMatchObject({ spent: usd('0.15'), held: 0n });
    // The ledger leaves what its pool paid out of it, as does its counter.
    expect(await read(org)).toMatchObject({ spent: 0n, held: 0n });
  });

  it('leaves a new budget whose counter has not started to the ledger, which will have the request', async () => {
    const budgets: Budget[] = [budget({ scope: 'team:t', window: 'day', limit_usd: 10 })];
    const { enforcer, read } = changing(budgets);
    const a = await enforcer.admit(request());
    const b = budget({ scope: 'user:alice', window: 'day', limit_usd: 10 });
    budgets.push(b);
    a.settle(usd('0.05'), 50);
    await tick();
    expect(await read(b)).toEqual({ spent: 0n, held: 0n, initialized: false });
  });

  it('charges a budget moved to another scope under its id its new counter, and leaves those of other callers alone', async () => {
    const budgets: Budget[] = [budget({ id: 'mine', scope: 'user:alice', window: 'day', limit_usd: 10 })];
    const { enforcer, read, start } = changing(budgets);
    const a = await enforcer.admit(request());
    const moved = budget({ id: 'mine', scope: 'team:t', window: 'day', limit_usd: 10 });
    const bob = budget({ scope: 'user:bob', window: 'day', limit_usd: 10 });
    const old = budgets.splice(0, 1, moved, bob)[0]!;
    await start(moved, bob);
    a.settle(usd('0.05'), 50);
    await tick();
    expect(await read(moved)).toMatchObject({ spent: usd('0.05'), held: 0n });
    expect(await read(old)).toMatchObject({ spent: usd('0.05'), held: 0n });
    expect((await read(bob)).spent).toBe(0n);
  });

  it('charges a model budget made while a request fell back its own model’s attempts only', async () => {
    const budgets: Budget[] = [];
    const { enforcer, read, start } = changing(budgets);
    const a = await enforcer.admit(request());
    expect(await a.attempt(2, 'gpt-5-mini', openai, 'gpt-5-mini')).toEqual({ ok: true });
    const mini = budget({ scope: 'model:gpt-5-mini', window: 'day', limit_usd: 10 });
    const team = budget({ scope: 'team:t', window: 'day', limit_usd: 10 });
    budgets.push(mini, team);
    await start(mini, team);
    a.settle(usd('0.15'), 150, [
      { n: 1, costPicos: usd('0.05') },
      { n: 2, costPicos: usd('0.1') },
    ]);
    await tick();
    expect((await read(mini)).spent).toBe(usd('0.1'));
    expect((await read(team)).spent).toBe(usd('0.15'));
  });
});
