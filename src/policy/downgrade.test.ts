import { describe, expect, it } from 'vitest';
import type { GatewayError } from '../core/errors.js';
import { usd } from '../core/money.js';
import { providerTable } from '../gateway/select-provider.js';
import { catalogPrices, createPricer } from '../pricing/index.js';
import type { AdmitRequest } from './admission.js';
import { modelPolicyInput, parseRule, toModelPolicy } from './rule-input.js';
import { silentLogger } from '../core/logger.js';
import { MemoryCounters } from './counters/memory.js';
import { Enforcer } from './enforcer.js';
import { budgetCounter } from './plan.js';
import type { Budget, RuleSet } from './rules.js';
import { budget, settings, setup } from './testing/enforcer.js';
import { noEvents } from './threshold-watch.js';

type Where = { provider: string; catalogProvider: string };
const OPENAI: Where = { provider: 'openai', catalogProvider: 'openai' };
const ANTHROPIC: Where = { provider: 'anthropic', catalogProvider: 'anthropic' };
const GEMINI: Where = { provider: 'gemini', catalogProvider: 'google' };

let seq = 0;
/** A request whose every model goes to one provider (one that takes any model name), unless `elsewhere` says otherwise. */
function request(model: string, at: Where, o: { maxOutputTokens?: number; elsewhere?: Record<string, Where>; serves?: (m: string) => boolean } = {}): AdmitRequest<Where> {
  const r: AdmitRequest<Where> = { id: `d${++seq}`, caller: { keyId: 'k1', user: 'jack', team: null, project: null, tags: {} }, model, keep: false, bodyBytes: 200, json: {}, maxOutputTokens: o.maxOutputTokens ?? 100, resolve: (m) => o.elsewhere?.[m] ?? at };
  if (o.serves) r.serves = o.serves;
  return r;
}

const clock = { now: Date.parse('2026-11-22T10:00:00Z') };
const price = createPricer();
const tick = () => new Promise((r) => setTimeout(r, 0));

/** Jack's $0.01 a day, downgraded to claude-haiku-4-5 past 50%, with $0.006 spent (seen by this process). */
async function underPressure(modelPolicies = [] as ReturnType<typeof toModelPolicy>[]) {
  const b = budget({ scope: 'user:jack', window: 'day', limit_usd: '0.01', downgrade: { at_percent: 50, to: 'claude-haiku-4-5' } });
  const s = setup([b], clock, undefined, [], modelPolicies, price);
  (await s.enforcer.admit(request('claude-sonnet-4-5', ANTHROPIC))).settle(usd('0.006'), 100);
  await tick();
  return s;
}

describe('budget downgrades', () => {
  it('leaves OpenAI and Gemini requests alone under an Anthropic target that is unpriced or dearer where they go, and says why', async () => {
    const { enforcer } = await underPressure();
    const openai = await enforcer.admit(request('gpt-4o-mini', OPENAI));
    expect(openai).toMatchObject({ model: 'gpt-4o-mini', rewrittenFrom: null, served: OPENAI });
    expect(openai.headers).not.toHaveProperty('x-tollgate-model-rewritten');
    // The OpenAI provider takes any model name, but its catalog has no price for a Claude model.
    expect(openai.headers['x-tollgate-downgrade-skipped']).toBe('claude-haiku-4-5; reason=unpriced');
    const gemini = await enforcer.admit(request('gemini-2.5-flash', GEMINI));
    expect(gemini).toMatchObject({ model: 'gemini-2.5-flash', rewrittenFrom: null });
    // Google's catalog prices Claude (Vertex AI), above gemini-2.5-flash.
    expect(gemini.headers['x-tollgate-downgrade-skipped']).toBe('claude-haiku-4-5; reason=not_cheaper');
  });

  it('downgrades a dearer Claude model, and leaves one already cheaper than the target', async () => {
    const { enforcer } = await underPressure();
    const sonnet = await enforcer.admit(request('claude-sonnet-4-5', ANTHROPIC));
    expect(sonnet).toMatchObject({ model: 'claude-haiku-4-5', rewrittenFrom: 'claude-sonnet-4-5', headers: { 'x-tollgate-model-rewritten': 'claude-sonnet-4-5->claude-haiku-4-5' } });
    expect(sonnet.headers).not.toHaveProperty('x-tollgate-downgrade-skipped');
    const old = await enforcer.admit(request('claude-3-haiku-20240307', ANTHROPIC));
    expect(old).toMatchObject({ model: 'claude-3-haiku-20240307', rewrittenFrom: null, headers: { 'x-tollgate-downgrade-skipped': 'claude-haiku-4-5; reason=not_cheaper' } });
  });

  it('downgrades an OpenAI request to a Claude model a translating provider serves, when that is cheaper', async () => {
    const { enforcer } = await underPressure();
    const a = await enforcer.admit(request('gpt-4o', OPENAI, { elsewhere: { 'claude-haiku-4-5': ANTHROPIC } }));
    expect(a).toMatchObject({ model: 'claude-haiku-4-5', rewrittenFrom: 'gpt-4o', served: ANTHROPIC });
  });

  it('skips a target no provider serves for the request, or that model policy denies the caller', async () => {
    const { enforcer } = await underPressure();
    const nowhere = await enforcer.admit(request('claude-sonnet-4-5', ANTHROPIC, { serves: (m) => m !== 'claude-haiku-4-5' }));
    expect(nowhere).toMatchObject({ model: 'claude-sonnet-4-5', headers: { 'x-tollgate-downgrade-skipped': 'claude-haiku-4-5; reason=not_served' } });
    const deny = toModelPolicy(parseRule(modelPolicyInput, { scope: 'user:jack', deny: ['claude-haiku-*'] }), 'api', 0);
    const denied = (await underPressure([deny])).enforcer;
    expect(await denied.admit(request('claude-sonnet-4-5', ANTHROPIC))).toMatchObject({ model: 'claude-sonnet-4-5', headers: { 'x-tollgate-downgrade-skipped': 'claude-haiku-4-5; reason=not_allowed' } });
  });

  it('tries a refused request on the target only when the target serves it for less, and says in the refusal why not', async () => {
    const b = budget({ scope: 'user:jack', window: 'day', limit_usd: '0.01', downgrade: { at_percent: 50, to: 'claude-haiku-4-5' } });
    const { enforcer } = setup([b], clock, undefined, [], [], price);
    // 1,000 output tokens of Sonnet ($0.015) do not fit; of Haiku ($0.005) they do.
    const sonnet = await enforcer.admit(request('claude-sonnet-4-5', ANTHROPIC, { maxOutputTokens: 1000 }));
    expect(sonnet).toMatchObject({ model: 'claude-haiku-4-5', rewrittenFrom: 'claude-sonnet-4-5' });
    const err = (await enforcer.admit(request('gpt-4o', OPENAI, { maxOutputTokens: 2000 })).catch((e: unknown) => e)) as GatewayError;
    expect(err).toMatchObject({ code: 'budget_exceeded', details: expect.objectContaining({ downgrade_skipped: { to: 'claude-haiku-4-5', reason: 'unpriced' } }) });
    expect(err.message).toMatch(/Its downgrade to claude-haiku-4-5 does not apply to this request: claude-haiku-4-5 has no price at provider "openai"/);
    expect(err.headers['x-tollgate-downgrade-skipped']).toBe('claude-haiku-4-5; reason=unpriced');
  });
});

describe('a budget downgrade to a model an override without a provider prices', () => {
  // gpt-5-mini priced at every provider: the Anthropic one, which takes any model name, has a price for it too.
  const priced = createPricer({ overrides: [{ model: 'gpt-5-mini', input: '0.25', output: '2' }] });
  const at = (catalog: string) => ({ name: catalog, dialect: catalog as 'openai' | 'anthropic', baseUrl: 'http://127.0.0.1:1', apiKey: 'k', models: undefined, headers: {}, catalog });
  const table = providerTable([at('openai'), at('anthropic')], { catalogPrices });
  const anthropicRequest = (model: string) =>
    request(model, ANTHROPIC, {
      serves: (m) => {
        try {
          return table.target('anthropic', m, undefined) !== undefined;
        } catch {
          return false;
        }
      },
    });

  it('does not send a Claude request to the Anthropic provider as gpt-5-mini, another vendor’s model', async () => {
    const b = budget({ scope: 'user:jack', window: 'day', limit_usd: '0.01', downgrade: { at_percent: 50, to: 'gpt-5-mini' } });
    const { enforcer } = setup([b], clock, undefined, [], [], priced);
    (await enforcer.admit(anthropicRequest('claude-sonnet-4-5'))).settle(usd('0.006'), 100);
    await tick();
    const sonnet = await enforcer.admit(anthropicRequest('claude-sonnet-4-5'));
    expect(sonnet).toMatchObject({ model: 'claude-sonnet-4-5', rewrittenFrom: null, served: ANTHROPIC });
    expect(sonnet.headers['x-tollgate-downgrade-skipped']).toBe('gpt-5-mini; reason=not_served');
  });

  it('still downgrades to a model no vendor’s catalog has (a local model priced only by the override)', async () => {
    const local = createPricer({ overrides: [{ model: 'qwen3-coder', input: '0.1', output: '0.1' }] });
    const b = budget({ scope: 'user:jack', window: 'day', limit_usd: '0.01', downgrade: { at_percent: 50, to: 'qwen3-coder' } });
    const { enforcer } = setup([b], clock, undefined, [], [], local);
    (await enforcer.admit(anthropicRequest('claude-sonnet-4-5'))).settle(usd('0.006'), 100);
    await tick();
    expect(await enforcer.admit(anthropicRequest('claude-sonnet-4-5'))).toMatchObject({ model: 'qwen3-coder', rewrittenFrom: 'claude-sonnet-4-5' });
  });
});

describe('budget downgrades across replicas', () => {
  /** Two enforcers (replicas) sharing one set of counters; the second has seen none of the budget's spend. */
  function replicas(budgets: Budget[]) {
    const rules: RuleSet = { budgets, rateLimits: [], modelPolicies: [], increases: [] };
    const counters = new MemoryCounters();
    const one = () => new Enforcer({ rules: () => rules, counters, price, fromLedger: (c) => Promise.resolve({ marker: c.line.marker, ttlMs: c.line.ttlMs, bucketTtlMs: c.line.ttlMs, amounts: [] }), events: noEvents, settings, log: silentLogger, now: () => clock.now });
    const read = async (b: Budget) => (await counters.read([budgetCounter(settings.keyPrefix, b, rules, clock.now, settings.timeZone).line]))[0]!;
    return [one(), one(), read] as const;
  }
  const jack = budget({ scope: 'user:jack', window: 'day', limit_usd: '0.01', downgrade: { at_percent: 50, to: 'claude-haiku-4-5' } });

  it('downgrades on a replica that saw none of the spend that took the budget past its threshold', async () => {
    const [a, b, read] = replicas([jack]);
    (await a.admit(request('claude-sonnet-4-5', ANTHROPIC))).settle(usd('0.006'), 100);
    await tick();
    const late = await b.admit(request('claude-sonnet-4-5', ANTHROPIC));
    expect(late).toMatchObject({ model: 'claude-haiku-4-5', rewrittenFrom: 'claude-sonnet-4-5', served: ANTHROPIC, headers: { 'x-tollgate-model-rewritten': 'claude-sonnet-4-5->claude-haiku-4-5' } });
    late.settle(usd('0.001'), 100);
    await tick();
    // The reservation made for Sonnet held the Haiku request and settled at its cost.
    expect(await read(jack)).toMatchObject({ spent: usd('0.007'), held: 0n });
  });

  it('leaves the model asked for when other rules apply to the target than to it', async () => {
    const haiku = budget({ scope: 'model:claude-haiku-*', window: 'day', limit_usd: '1' });
    const [a, b] = replicas([jack, haiku]);
    (await a.admit(request('claude-sonnet-4-5', ANTHROPIC))).settle(usd('0.006'), 100);
    await tick();
    expect(await b.admit(request('claude-sonnet-4-5', ANTHROPIC))).toMatchObject({ model: 'claude-sonnet-4-5', rewrittenFrom: null });
    // Now that b has seen the level, it downgrades before reserving, as it always did.
    expect(await b.admit(request('claude-sonnet-4-5', ANTHROPIC))).toMatchObject({ model: 'claude-haiku-4-5' });
  });

  it('judges a new window and a raised limit afresh, not by the level and limit seen before them', async () => {
    const at = { now: Date.parse('2026-11-22T22:00:00Z') }; // 23:00 in Berlin
    const rules: RuleSet = { budgets: [jack], rateLimits: [], modelPolicies: [], increases: [] };
    const enforcer = new Enforcer({ rules: () => rules, counters: new MemoryCounters(), price, fromLedger: (c) => Promise.resolve({ marker: c.line.marker, ttlMs: c.line.ttlMs, bucketTtlMs: c.line.ttlMs, amounts: [] }), events: noEvents, settings, log: silentLogger, now: () => at.now });
    (await enforcer.admit(request('claude-sonnet-4-5', ANTHROPIC))).settle(usd('0.006'), 100);
    await tick();
    const before = await enforcer.admit(request('claude-sonnet-4-5', ANTHROPIC));
    expect(before).toMatchObject({ model: 'claude-haiku-4-5' });
    before.settle(0n, 0);
    // An approved increase of $0.01: $0.006 of $0.02 is 30%, under the threshold.
    rules.increases = [{ id: 'inc_1', scope: { kind: 'user', value: 'jack' }, budgetId: null, amountPicos: usd('0.01'), hours: 24, reason: 'r', requestedBy: 'jack', status: 'approved', createdAt: at.now, decidedAt: at.now, decidedBy: 'boss', note: null, expiresAt: at.now + 86_400_000 }];
    const raised = await enforcer.admit(request('claude-sonnet-4-5', ANTHROPIC));
    expect(raised).toMatchObject({ model: 'claude-sonnet-4-5', rewrittenFrom: null });
    raised.settle(0n, 0);
    rules.increases = [];
    (await enforcer.admit(request('claude-sonnet-4-5', ANTHROPIC))).settle(usd('0.001'), 100);
    await tick();
    // Midnight in Berlin: yesterday's spend does not count in the new day's window.
    at.now = Date.parse('2026-11-22T23:30:00Z');
    expect(await enforcer.admit(request('claude-sonnet-4-5', ANTHROPIC))).toMatchObject({ model: 'claude-sonnet-4-5', rewrittenFrom: null });
  });

  it('does not judge a rolling window by a level seen before its spend could age out', async () => {
    const at = { now: Date.parse('2026-11-22T10:00:00Z') };
    const rolling = budget({ scope: 'user:jack', window: '5h', limit_usd: '0.01', downgrade: { at_percent: 50, to: 'claude-haiku-4-5' } });
    const rules: RuleSet = { budgets: [rolling], rateLimits: [], modelPolicies: [], increases: [] };
    const enforcer = new Enforcer({ rules: () => rules, counters: new MemoryCounters(), price, fromLedger: (c) => Promise.resolve({ marker: c.line.marker, ttlMs: c.line.ttlMs, bucketTtlMs: c.line.ttlMs, amounts: [] }), events: noEvents, settings, log: silentLogger, now: () => at.now });
    (await enforcer.admit(request('claude-sonnet-4-5', ANTHROPIC))).settle(usd('0.006'), 100);
    await tick();
    at.now += 60_000;
    const soon = await enforcer.admit(request('claude-sonnet-4-5', ANTHROPIC));
    expect(soon).toMatchObject({ model: 'claude-haiku-4-5' });
    soon.settle(0n, 0);
    await tick();
    // Six hours on, the $0.006 has left the 5-hour window.
    at.now += 6 * 3_600_000;
    expect(await enforcer.admit(request('claude-sonnet-4-5', ANTHROPIC))).toMatchObject({ model: 'claude-sonnet-4-5', rewrittenFrom: null });
  });
});

