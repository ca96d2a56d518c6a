import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { AttemptRow } from '../../src/core/ledger-row.js';
import { budgetCounter } from '../../src/policy/plan.js';
import { budgetInput, parseRule, rateLimitInput, toBudget, toRateLimit } from '../../src/policy/rule-input.js';
import type { Budget, RateLimit } from '../../src/policy/rules.js';
import { MemorySink } from '../../src/alerts/webhook.js';
import { type Counters, budgetGateways, priceByRates, withAzure } from '../support/budget-fallbacks.js';
import { type Harness, eventually } from '../support/harness.js';
import { routingFrom } from '../support/routing.js';

// Picos per input and output token: the fallback costs a fifth of the first choice.
const RATES: Record<string, [bigint, bigint]> = { 'gpt-5': [50_000_000n, 400_000_000n], 'gpt-5-mini': [10_000_000n, 80_000_000n], 'gpt-5-nano': [5_000_000n, 40_000_000n] };
const price = priceByRates(RATES);
const cost = (model: string, input: number, output: number) => BigInt(input) * RATES[model]![0] + BigInt(output) * RATES[model]![1];

const budget = (scope: string, limit: number, more: Record<string, unknown> = {}) => toBudget(parseRule(budgetInput, { scope, window: 'day', limit_usd: limit, ...more }), 'budget', 'config', 0);
const limit = (scope: string, more: Record<string, unknown>) => toRateLimit(parseRule(rateLimitInput, { scope, ...more }), 'config', 0);
const dep = (name: string) => (r: { headers: Record<string, string | string[] | undefined> }) => r.headers['x-dep'] === name;

// "azure", a second OpenAI-dialect provider: a provider-scoped budget there sees only the fallback's attempts.
const gateways = budgetGateways('tgfb');

interface Options {
  rateLimits?: RateLimit[];
  /** gpt-5's fallbacks: gpt-5-mini (on "azure") by default; gpt-5-nano is on OpenAI. */
  fallbacks?: string[];
  alerts?: MemorySink;
  /** The policy's clock (the real one by default). */
  now?: () => number;
}

/**
 * A clock held in the middle of the minute it is made in. An rpm limit counts the last minute's
 * requests weighted by how much of it is still in the window, rounded down: across a minute's edge a
 * third request could pass a limit of 2, and a test run near the edge would fail now and then.
 */
const midMinute = (): (() => number) => {
  const t = Math.floor(Date.now() / 60_000) * 60_000 + 30_000;
  return () => t;
};

/** gpt-5 on OpenAI, falling back to gpt-5-mini on "azure"; each request's caller is team `platform`. */
function gateway(counters: Counters, budgets: Budget[], o: Options = {}): Promise<Harness> {
  return gateways.start({
    price,
    providers: withAzure,
    policy: {
      rules: { budgets, rateLimits: o.rateLimits ?? [], modelPolicies: [] },
      alerts: o.alerts,
      ...(o.now ? { now: o.now } : {}),
      ...gateways.counters(counters),
    },
    routing: (url) =>
      routingFrom(
        {
          routing: { retry: { backoff_ms: 5, per_deployment: 1 }, affinity: { enabled: false } },
          routes: [
            { model: 'gpt-5', deployments: [{ provider: 'openai', name: 'fbb-big', headers: { 'x-dep': 'big' } }], fallbacks: o.fallbacks ?? ['gpt-5-mini'] },
            { model: 'gpt-5-mini', deployments: [{ provider: 'azure', name: 'fbb-mini', headers: { 'x-dep': 'mini' } }] },
            { model: 'gpt-5-nano', deployments: [{ provider: 'openai', name: 'fbb-nano', headers: { 'x-dep': 'nano' } }] },
          ],
        },
        withAzure(url),
      ),
  });
}

const request = (model: string) => JSON.stringify({ model, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });

async function ask(h: Harness, model = 'gpt-5'): Promise<{ status: number; id: string; attempts: AttemptRow[]; body: unknown; headers: Headers }> {
  const res = await fetch(`${h.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' },
    body: request(model),
  });
  const id = res.headers.get('x-tollgate-request-id')!;
  const body: unknown = await res.json();
  await h.row(id);
  return { status: res.status, id, attempts: await h.tollgate.storage.ledger.attempts(id), body, headers: res.headers };
}

/** Spent and held per budget, as the counters have them. */
async function levels(h: Harness, budgets: Budget[]) {
  const p = h.tollgate.policy!;
  const lines = budgets.map((b) => budgetCounter(p.settings.keyPrefix, b, p.rules.current(), Date.now(), p.settings.timeZone).line);
  return (await p.counters.read(lines)).map(({ spent, held }) => ({ spent, held }));
}

/** What each budget should have been charged by the ledger: the cost of the attempts its scope covers. */
function owed(attempts: AttemptRow[], pick: (a: AttemptRow) => boolean): bigint {
  return attempts.filter(pick).reduce((t, a) => t + (a.costPicos ?? 0n), 0n);
}

describe.each(['memory', 'redis'] as const)('budgets across a fallback to another model (%s counters)', (counters) => {
  it('charges each budget the attempts in its scope, the team the total, once, and holds nothing after', async () => {
    const team = budget('team:platform', 10);
    const big = budget('model:gpt-5', 10);
    const mini = budget('model:gpt-5-mini', 10);
    const azure = budget('provider:azure', 10);
    const all = [team, big, mini, azure];
    const h = await gateway(counters, all, { rateLimits: [limit('team:platform', { rpm: 2 })], now: midMinute() });
    const client = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });

    // 1. gpt-5 fails (503); the fallback serves.
    h.fake.script({ match: (r) => r.headers['x-dep'] === 'big', status: 503 }, { match: (r) => r.headers['x-dep'] === 'mini', usage: { input: 100, output: 10 } });
    const { response } = await client.chat.completions.create({ model: 'gpt-5', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(response.headers.get('x-tollgate-deployment')).toBe('fbb-mini');
    const firstId = response.headers.get('x-tollgate-request-id')!;
    await h.row(firstId);
    const first = await h.tollgate.storage.ledger.attempts(firstId);
    expect(first.map((a) => [a.model, a.provider, a.delivered])).toEqual([
      ['gpt-5', 'openai', false],
      ['gpt-5-mini', 'azure', true],
    ]);
    const cheap = cost('gpt-5-mini', 100, 10);
    // Before the split, the gpt-5 budget paid for gpt-5-mini's answer and the mini and azure budgets saw nothing.
    await eventually(async () => expect(await levels(h, all)).toEqual([{ spent: cheap, held: 0n }, { spent: 0n, held: 0n }, { spent: cheap, held: 0n }, { spent: cheap, held: 0n }]));

    // 2. No fallback: gpt-5 serves. Its own budget and the team's are charged; the fallback's are not touched.
    h.fake.reset();
    h.fake.script({ match: (r) => r.headers['x-dep'] === 'big', usage: { input: 200, output: 20 } });
    const second = await ask(h);
    expect(second.status).toBe(200);
    expect(second.attempts.map((a) => a.model)).toEqual(['gpt-5']);
    const dear = cost('gpt-5', 200, 20);
    await eventually(async () => expect(await levels(h, all)).toEqual([{ spent: cheap + dear, held: 0n }, { spent: dear, held: 0n }, { spent: cheap, held: 0n }, { spent: cheap, held: 0n }]));

    // Every counter equals the ledger's cost of the attempts in its scope.
    const attempts = [...first, ...second.attempts];
    const rows = await h.rows();
    expect(rows.reduce((t, r) => t + (r.costPicos ?? 0n), 0n)).toBe(cheap + dear);
    expect(await levels(h, all)).toEqual([
      { spent: owed(attempts, () => true), held: 0n },
      { spent: owed(attempts, (a) => a.model === 'gpt-5'), held: 0n },
      { spent: owed(attempts, (a) => a.model === 'gpt-5-mini'), held: 0n },
      { spent: owed(attempts, (a) => a.provider === 'azure'), held: 0n },
    ]);
    // One extra reservation, for the fallback's own budgets; the team's rpm of 2 counted each request once.
    expect(h.tollgate.policy!.enforcer.stats).toMatchObject({ admitted: 2, refused: 0, fallbackHolds: 1, fallbackRefused: 0, settleErrors: 0 });
    h.fake.reset();
    h.fake.script({ match: () => true, usage: { input: 1, output: 1 } });
    expect((await ask(h)).status).toBe(429);
  });

  it("skips a fallback whose own budget is exhausted, and the client gets that budget's refusal", async () => {
    const team = budget('team:platform', 10);
    const big = budget('model:gpt-5', 10);
    // Smaller than the fallback's estimate (about $0.004 for 50 output tokens): every fallback is refused.
    const mini = budget('model:gpt-5-mini', 0.001);
    const all = [team, big, mini];
    const alerts = new MemorySink();
    const h = await gateway(counters, all, { rateLimits: [limit('team:platform', { rpm: 2 })], alerts });

    h.fake.script({ match: (r) => r.headers['x-dep'] === 'big', status: 503 }, { match: (r) => r.headers['x-dep'] === 'mini', usage: { input: 100, output: 10 } });
    const refused = await ask(h);
    expect(refused.status).toBe(402);
    expect(JSON.stringify(refused.body)).toContain('model:gpt-5-mini');
    // gpt-5 was tried once; gpt-5-mini never was.
    expect(h.fake.requests.map((r) => r.headers['x-dep'])).toEqual(['big']);
    expect(refused.attempts.map((a) => [a.model, a.status])).toEqual([['gpt-5', 503]]);
    const row = await h.row(refused.id);
    expect(row).toMatchObject({ status: 402, errorType: 'budget_exceeded', attempts: 1, costPicos: 0n });
    await eventually(async () => expect(await levels(h, all)).toEqual([{ spent: 0n, held: 0n }, { spent: 0n, held: 0n }, { spent: 0n, held: 0n }]));
    expect(h.tollgate.policy!.enforcer.stats).toMatchObject({ admitted: 1, refused: 0, fallbackHolds: 0, fallbackRefused: 1 });
    // The client got the fallback budget's refusal, so it is alerted, once.
    await eventually(() => expect(alerts.events.filter((e) => e.type === 'budget.refused').map((e) => [e.budgetId, 'requestId' in e && e.requestId])).toEqual([[mini.id, refused.id]]));

    // The refused fallback counted no request against the team's rpm of 2: one more request is admitted and served by gpt-5.
    h.fake.reset();
    h.fake.script({ match: (r) => r.headers['x-dep'] === 'big', usage: { input: 200, output: 20 } });
    const served = await ask(h);
    expect(served.status).toBe(200);
    const dear = cost('gpt-5', 200, 20);
    await eventually(async () => expect(await levels(h, all)).toEqual([{ spent: dear, held: 0n }, { spent: dear, held: 0n }, { spent: 0n, held: 0n }]));
  });

  it('counts a rate limit scoped to the fallback model against fallback attempts, and skips the fallback it refuses', async () => {
    const team = budget('team:platform', 10);
    const mini = limit('model:gpt-5-mini', { id: 'mini-rpm', rpm: 1 });
    const h = await gateway(counters, [team], { rateLimits: [mini], fallbacks: ['gpt-5-mini', 'gpt-5-nano'] });
    h.fake.script({ match: dep('big'), status: 503, times: Infinity }, { match: dep('mini'), usage: { input: 100, output: 10 }, times: Infinity }, { match: dep('nano'), usage: { input: 100, output: 10 }, times: Infinity });

    // 1. gpt-5 fails, gpt-5-mini serves: its rpm of 1 is used up.
    const first = await ask(h);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-tollgate-deployment')).toBe('fbb-mini');
    // 2. gpt-5 fails, gpt-5-mini is skipped for its own limit, gpt-5-nano serves.
    const second = await ask(h);
    expect(second.status).toBe(200);
    expect(second.headers.get('x-tollgate-deployment')).toBe('fbb-nano');
    expect(second.attempts.map((a) => a.model)).toEqual(['gpt-5', 'gpt-5-nano']);
    expect(h.fake.requests.map((r) => r.headers['x-dep'])).toEqual(['big', 'mini', 'big', 'nano']);
    expect(h.tollgate.policy!.enforcer.stats).toMatchObject({ admitted: 2, refused: 0, fallbackHolds: 1, fallbackRefused: 1 });
    const cheap = cost('gpt-5-mini', 100, 10) + cost('gpt-5-nano', 100, 10);
    await eventually(async () => expect(await levels(h, [team])).toEqual([{ spent: cheap, held: 0n }]));
  });

  it("gives the client the fallback model's rate limit refusal, 429 with retry-after, when no candidate is left", async () => {
    const mini = limit('model:gpt-5-mini', { id: 'mini-rpm', rpm: 1 });
    const h = await gateway(counters, [budget('team:platform', 10)], { rateLimits: [mini] });
    h.fake.script({ match: dep('big'), status: 503, times: Infinity }, { match: dep('mini'), usage: { input: 100, output: 10 }, times: Infinity });
    expect((await ask(h)).status).toBe(200);

    const refused = await ask(h);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(refused.headers.get('retry-after-ms'))).toBeGreaterThan(0);
    // In the client's own dialect (OpenAI), naming the limit.
    expect(refused.body).toMatchObject({ error: { type: 'rate_limit_error', code: 'rate_limited', tollgate: { rate_limit_id: 'mini-rpm', scope: 'model:gpt-5-mini', limit: 'rpm' } } });
    expect(refused.attempts.map((a) => [a.model, a.status])).toEqual([['gpt-5', 503]]);
    expect(await h.row(refused.id)).toMatchObject({ status: 429, errorType: 'rate_limited', attempts: 1 });
    expect(h.fake.requests.map((r) => r.headers['x-dep'])).toEqual(['big', 'mini', 'big']);
    // A request gpt-5 serves itself is not under gpt-5-mini's limit.
    h.fake.reset();
    h.fake.script({ match: dep('big'), usage: { input: 100, output: 10 } });
    expect((await ask(h)).status).toBe(200);
  });

  it("alerts a fallback budget's refusal only when the client gets it", async () => {
    const mini = budget('model:gpt-5-mini', 0.001);
    const alerts = new MemorySink();
    const h = await gateway(counters, [budget('team:platform', 10), mini], { fallbacks: ['gpt-5-mini', 'gpt-5-nano'], alerts });
    h.fake.script({ match: dep('big'), status: 503, times: Infinity }, { match: dep('nano'), usage: { input: 100, output: 10 }, times: Infinity });
    // gpt-5-mini's budget refuses the fallback, gpt-5-nano serves: nothing to alert.
    const served = await ask(h);
    expect(served.status).toBe(200);
    expect(served.attempts.map((a) => a.model)).toEqual(['gpt-5', 'gpt-5-nano']);
    // Asked for directly, gpt-5-mini is refused by its budget: that refusal is alerted (once a window, so an
    // alert for the request above would have taken its place).
    const refused = await ask(h, 'gpt-5-mini');
    expect(refused.status).toBe(402);
    await eventually(() => expect(alerts.events.filter((e) => e.type === 'budget.refused').map((e) => [e.budgetId, 'requestId' in e && e.requestId])).toEqual([[mini.id, refused.id]]));
    expect(h.tollgate.policy!.enforcer.stats).toMatchObject({ refused: 1, fallbackRefused: 1 });
  });

  it("caps a fallback's output at what its model's budget can still pay for, under enforce_max_tokens", async () => {
    const team = budget('team:platform', 10);
    // $0.003: after the input estimate (a token per body byte), room for fewer than the 50 output tokens asked.
    const mini = budget('model:gpt-5-mini', 0.003, { enforce_max_tokens: true });
    const h = await gateway(counters, [team, mini]);
    h.fake.script({ match: dep('big'), status: 503 }, { match: dep('mini'), usage: { input: 20, output: 5 } });
    const [inRate, outRate] = RATES['gpt-5-mini']!;
    const cap = Number((3_000_000_000n - BigInt(Buffer.byteLength(request('gpt-5'))) * inRate) / outRate);
    expect(cap).toBeGreaterThan(0);
    expect(cap).toBeLessThan(50);

    const served = await ask(h);
    expect(served.status).toBe(200);
    expect(served.attempts.map((a) => a.model)).toEqual(['gpt-5', 'gpt-5-mini']);
    const sent = h.fake.requests.map((r) => JSON.parse(r.body.toString()) as { model: string; max_tokens?: number; max_completion_tokens?: number });
    // The client's own max_tokens goes as sent; moved to gpt-5-mini by the fallback, the cap goes as max_completion_tokens, which reasoning models take.
    expect(sent.map((b) => [b.model, b.max_tokens, b.max_completion_tokens])).toEqual([
      ['gpt-5', 50, undefined],
      ['gpt-5-mini', undefined, cap],
    ]);
    const actual = cost('gpt-5-mini', 20, 5);
    await eventually(async () => expect(await levels(h, [team, mini])).toEqual([{ spent: actual, held: 0n }, { spent: actual, held: 0n }]));
  });
});
