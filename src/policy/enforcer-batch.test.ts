import { describe, expect, it } from 'vitest';
import type { GatewayError } from '../core/errors.js';
import { usd } from '../core/money.js';
import type { PriceFn } from '../metering/build-row.js';
import type { BatchAdmitRequest } from './admission.js';
import type { BatchModelTotal } from './batch-estimate.js';
import { modelPolicyInput, parseRule, toModelPolicy } from './rule-input.js';
import { budget, price, setup } from './testing/enforcer.js';
import { type PolicyEvents, noEvents } from './threshold-watch.js';

// Enforcer.admitBatch: a batch's creation: the estimate at the batch price, held on budgets until the creation's row is recorded.

/** $1 per 1,000 tokens, halved at the batch tier, as the catalog's batch multiplier does. */
const batchPrice: PriceFn = (r) => {
  const p = price(r);
  return r.serviceTier === 'batch' ? { costPicos: p.costPicos! / 2n, unpriced: false } : p;
};
const clock = { now: Date.parse('2026-11-22T10:00:00Z') };
const caller = { keyId: 'k1', user: 'alice', team: 't', project: null, tags: {} };
let seq = 0;
const batch = (...totals: BatchModelTotal[]): BatchAdmitRequest => ({ id: `b${++seq}`, caller, totals, served: { provider: 'anthropic', catalogProvider: 'anthropic' } });
/** n requests of a model, each 100 tokens in and 100 out: $0.10 each at the batch price. */
const reqs = (model: string, n: number): BatchModelTotal => ({ model, requests: n, inputTokens: 100 * n, outputTokens: 100 * n });
const tick = () => new Promise((r) => setTimeout(r, 0));
const policy = (input: Record<string, unknown>) => toModelPolicy(parseRule(modelPolicyInput, input), 'api', 0);
const make = (budgets: Parameters<typeof setup>[0], events: PolicyEvents = noEvents, policies: Parameters<typeof setup>[4] = []) => setup(budgets, clock, events, [], policies, batchPrice);

describe('a batch’s admission', () => {
  it('holds the estimate at the batch price while the creation runs, then lets it go: results are charged when billed', async () => {
    const b = budget({ scope: 'user:alice', window: 'day', limit_usd: 1 });
    const { enforcer, read } = make([b]);
    const a = await enforcer.admitBatch(batch(reqs('claude-x', 4)));
    expect(await read(b)).toMatchObject({ spent: 0n, held: usd('0.4') });
    expect(a.headers['x-tollgate-budget-remaining']).toMatch(/^1(\.0+)?; scope=user:alice; window=day; resets=/);
    a.settle();
    a.settle();
    await tick();
    expect(await read(b)).toMatchObject({ spent: 0n, held: 0n });
  });

  it('refuses a batch that could cost more than the room left, naming the batch and the batch price', async () => {
    const b = budget({ scope: 'user:alice', window: 'day', limit_usd: 1 });
    const refused: string[] = [];
    const events: PolicyEvents = { ...noEvents, refused: (bb) => void refused.push(bb.id) };
    const { enforcer, read } = make([b], events);
    const err = (await enforcer.admitBatch(batch(reqs('claude-x', 11))).catch((e: unknown) => e)) as GatewayError;
    expect(err).toMatchObject({ code: 'budget_exceeded', status: 402 });
    expect(err.message).toMatch(/^This batch could cost more than the daily budget for user:alice allows in total \(\$0(\.0+)? of \$1(\.0+)? is spent or held by requests in flight, and this batch could cost up to \$1\.10* at the batch price\)/);
    expect(err.message).toMatch(/split the batch or lower its requests' maximum output tokens/);
    expect(err.details).toMatchObject({ request_estimate_usd: '1.1' });
    expect(refused).toEqual([b.id]);
    expect(await read(b)).toMatchObject({ spent: 0n, held: 0n });
  });

  it('refuses any batch once the budget is spent', async () => {
    const b = budget({ scope: 'user:alice', window: 'day', limit_usd: 1 });
    const { enforcer, read } = make([b]);
    (await enforcer.admit({ id: 'r1', caller, model: 'claude-x', keep: false, bodyBytes: 100, json: {}, maxOutputTokens: 100, resolve: () => ({ provider: 'anthropic', catalogProvider: 'anthropic' }) })).settle(usd('1'), 200);
    await tick();
    expect((await read(b)).spent).toBe(usd('1'));
    await expect(enforcer.admitBatch(batch(reqs('claude-x', 1)))).rejects.toMatchObject({ code: 'budget_exceeded', message: expect.stringMatching(/^Budget exceeded: the daily budget for user:alice has no room for this batch/) });
  });

  it('charges a budget of every model the sum of its models, and a model’s budget its own model alone', async () => {
    const team = budget({ id: 'team', scope: 'user:alice', window: 'day', limit_usd: 10 });
    const opus = budget({ id: 'opus', scope: 'model:claude-opus', window: 'day', limit_usd: 10 });
    const { enforcer, read } = make([team, opus]);
    const a = await enforcer.admitBatch(batch(reqs('claude-opus', 3), reqs('claude-haiku', 5)));
    expect((await read(team)).held).toBe(usd('0.8'));
    expect((await read(opus)).held).toBe(usd('0.3'));
    a.settle();
    await tick();
    expect([(await read(team)).held, (await read(opus)).held]).toEqual([0n, 0n]);
  });

  it('is all or nothing: a model’s budget without room lets go of what the batch held elsewhere', async () => {
    const team = budget({ id: 'team', scope: 'user:alice', window: 'day', limit_usd: 10 });
    const opus = budget({ id: 'opus', scope: 'model:claude-opus', window: 'day', limit_usd: '0.2' });
    const { enforcer, read } = make([team, opus]);
    await expect(enforcer.admitBatch(batch(reqs('claude-haiku', 5), reqs('claude-opus', 3)))).rejects.toMatchObject({ code: 'budget_exceeded', details: { budget_id: 'opus' } });
    expect(await read(team)).toMatchObject({ spent: 0n, held: 0n });
  });

  it('refuses a model that model policy denies, or would serve as another (a batch is not rewritten)', async () => {
    const deny = policy({ scope: 'team:t', deny: ['claude-opus*'] });
    const { enforcer } = make([], noEvents, [deny]);
    await expect(enforcer.admitBatch(batch(reqs('claude-haiku', 1), reqs('claude-opus-5', 1)))).rejects.toMatchObject({ code: 'model_not_allowed', status: 403 });
    await expect(enforcer.admitBatch(batch(reqs('claude-haiku', 1)))).resolves.toMatchObject({ headers: {} });

    const rewrite = policy({ scope: 'user:alice', rewrite: [{ from: 'claude-opus*', to: 'claude-sonnet' }] });
    const { enforcer: e2 } = make([], noEvents, [rewrite]);
    const err = (await e2.admitBatch(batch(reqs('claude-opus-5', 1))).catch((e: unknown) => e)) as GatewayError;
    expect(err).toMatchObject({ code: 'model_not_allowed' });
    expect(err.message).toMatch(/serves claude-sonnet instead, and a batch's requests are not rewritten: ask for claude-sonnet/);
  });

  it('a model none of whose requests were read (a Gemini batch from a file), at one output token, is refused once the budget is spent, and by model policy', async () => {
    const b = budget({ scope: 'user:alice', window: 'day', limit_usd: 1 });
    const deny = policy({ scope: 'team:t', deny: ['gemini-2.5-pro'] });
    const { enforcer, read } = make([b], noEvents, [deny]);
    const unread = (model: string): BatchModelTotal => {
      const t = enforcer.batchTotals();
      t.unread(model);
      return t.totals[0]!;
    };
    const a = await enforcer.admitBatch(batch(unread('gemini-2.5-flash')));
    expect(await read(b)).toMatchObject({ spent: 0n, held: usd('0.0005') });
    a.settle();
    await expect(enforcer.admitBatch(batch(unread('gemini-2.5-pro')))).rejects.toMatchObject({ code: 'model_not_allowed' });
    (await enforcer.admit({ id: 'r1', caller, model: 'claude-x', keep: false, bodyBytes: 100, json: {}, maxOutputTokens: 100, resolve: () => ({ provider: 'anthropic', catalogProvider: 'anthropic' }) })).settle(usd('1'), 200);
    await tick();
    await expect(enforcer.admitBatch(batch(unread('gemini-2.5-flash')))).rejects.toMatchObject({ code: 'budget_exceeded' });
  });

  it('is free of policy work with no budget or model policy', async () => {
    const { enforcer } = make([]);
    expect(enforcer.governsBatches()).toBe(false);
    const a = await enforcer.admitBatch(batch(reqs('claude-x', 1_000_000)));
    expect(a.headers).toEqual({});
  });
});
