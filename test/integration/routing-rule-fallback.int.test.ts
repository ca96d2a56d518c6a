import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { PriceFn } from '../../src/metering/build-row.js';
import { modelPolicyInput, parseRule, toModelPolicy } from '../../src/policy/rule-input.js';
import type { RoutingRule } from '../../src/routing/rules/rule.js';
import type { RecordedRequest } from '../fake-upstream/index.js';
import { type Harness, type HarnessOptions, defaultProviders, startHarness } from '../support/harness.js';
import { ruleCost as cost, rulePrice as price, routingFrom } from '../support/routing.js';

// A routing rule moves a request to a cheaper model; when that target fails with an error another
// try could fix, the model the client asked for serves it, rather than the gateway's own saving failing it.

const usage = { input: 1200, output: 300 };

const toHaiku = (extra: Partial<RoutingRule['action']> = {}): RoutingRule => ({ id: 'small-to-haiku', mode: 'enforce', match: { model: ['claude-sonnet-*'] }, action: { model: 'claude-haiku-4-5', ...extra } });
const RULES: RoutingRule[] = [
  toHaiku(),
  { id: 'chat-to-mini', mode: 'enforce', match: { model: ['gpt-5'] }, action: { model: 'gpt-5-mini' } },
  { id: 'short-flash', mode: 'enforce', match: { api: ['gemini.generate'] }, action: { model: 'gemini-2.5-flash' } },
];

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function start(o: HarnessOptions = {}): Promise<Harness> {
  h = await startHarness({ price, routingRules: RULES, ...o });
  return h;
}

const model = (r: RecordedRequest) => (r.json as { model?: string } | undefined)?.model;
const asked = (m: string) => (r: RecordedRequest) => model(r) === m;
const anthropic = (g: Harness) => new Anthropic({ apiKey: g.key.key, baseURL: g.url, maxRetries: 0 });
const hi = [{ role: 'user' as const, content: 'Summarise: the build is green.' }];

async function attempts(g: Harness, id: string) {
  return (await g.tollgate.storage.ledger.attempts(id)).map((a) => [a.deployment, a.model, a.status, a.outcome, a.delivered]);
}

describe('a routing rule whose target fails falls back to the model asked for', () => {
  it('on the plain path: the target overloaded, the requested model serves the request, and no saving is claimed', async () => {
    const g = await start();
    g.fake.script({ match: asked('claude-haiku-4-5'), status: 529 }, { match: asked('claude-sonnet-4-5'), usage });
    const { data, response } = await anthropic(g).messages.create({ model: 'claude-sonnet-4-5', max_tokens: 512, messages: hi }).withResponse();
    expect(data.model).toBe('claude-sonnet-4-5');
    expect(g.fake.requests.map(model)).toEqual(['claude-haiku-4-5', 'claude-sonnet-4-5']);
    expect(response.headers.get('x-tollgate-route-rule')).toBe('small-to-haiku');
    expect(response.headers.get('x-tollgate-model-rewritten')).toBeNull();
    expect(response.headers.get('x-tollgate-attempts')).toBe('2');
    const id = response.headers.get('x-tollgate-request-id')!;
    const row = await g.row(id);
    expect(row).toMatchObject({ model: 'claude-sonnet-4-5', modelRequested: 'claude-sonnet-4-5', routeRule: 'small-to-haiku', routeMode: 'enforce', status: 200, outcome: 'ok', attempts: 2, costPicos: cost('claude-sonnet-4-5', 1200, 300) });
    expect(row.routeSavingPicos).toBe(0n);
    expect(await attempts(g, id)).toEqual([
      ['anthropic', 'claude-haiku-4-5', 529, 'upstream_error', false],
      ['anthropic', 'claude-sonnet-4-5', 200, 'ok', true],
    ]);
  });

  it('a stream whose target opens with an error event is served by the requested model', async () => {
    const g = await start();
    g.fake.script({ match: asked('claude-haiku-4-5'), errorEventAfter: 0 }, { match: asked('claude-sonnet-4-5'), usage });
    const { data: stream, response } = await anthropic(g).messages.create({ model: 'claude-sonnet-4-5', max_tokens: 512, stream: true, messages: hi }).withResponse();
    let served = '';
    for await (const e of stream) if (e.type === 'message_start') served = e.message.model;
    expect(served).toBe('claude-sonnet-4-5');
    const id = response.headers.get('x-tollgate-request-id')!;
    expect(await g.row(id)).toMatchObject({ model: 'claude-sonnet-4-5', outcome: 'ok', attempts: 2, routeRule: 'small-to-haiku', routeSavingPicos: 0n, inputTokens: 1200, outputTokens: 300 });
    expect(await attempts(g, id)).toEqual([
      ['anthropic', 'claude-haiku-4-5', 200, 'upstream_error', false],
      ['anthropic', 'claude-sonnet-4-5', 200, 'ok', true],
    ]);
  });

  it('on routes: after every deployment of the target, the requested model’s own route serves it', async () => {
    const dep = (name: string) => ({ provider: 'openai', name, headers: { 'x-dep': name } });
    const g = await start({
      routing: (url) =>
        routingFrom(
          {
            routing: { retry: { backoff_ms: 5, per_deployment: 1 }, affinity: { enabled: false } },
            routes: [
              { model: 'gpt-5-mini', deployments: [dep('mini-a'), dep('mini-b')] },
              { model: 'gpt-5', deployments: [dep('full')] },
            ],
          },
          defaultProviders(url),
        ),
    });
    g.fake.script({ match: asked('gpt-5-mini'), status: 429, headers: { 'retry-after': '30' }, times: 2 }, { match: asked('gpt-5'), usage });
    const client = new OpenAI({ apiKey: g.key.key, baseURL: `${g.url}/v1`, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'gpt-5', stream: true, stream_options: { include_usage: true }, messages: hi });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBeTruthy();
    expect(g.fake.requests.map((r) => r.headers['x-dep'])).toEqual(expect.arrayContaining(['mini-a', 'mini-b']));
    expect(g.fake.requests.map((r) => r.headers['x-dep']).at(-1)).toBe('full');
    const [row] = await g.rows();
    expect(row).toMatchObject({ model: 'gpt-5', routeRule: 'chat-to-mini', attempts: 3, outcome: 'ok', inputTokens: 1200, outputTokens: 300, routeSavingPicos: 0n });
    expect((await attempts(g, row!.id)).map((a) => [a[1], a[2], a[4]])).toEqual([
      ['gpt-5-mini', 429, false],
      ['gpt-5-mini', 429, false],
      ['gpt-5', 200, true],
    ]);
  });

  it('claims no saving where the requested model’s route serves it cheaper than the provider savings are priced against', async () => {
    // The rule's saving is priced at the provider the asked model would be selected to; its route's deployment bills half.
    const byProvider: PriceFn = (r) => {
      const p = price(r);
      return r.provider === 'anthropic-cheap' && p.costPicos !== null ? { ...p, costPicos: p.costPicos / 2n } : p;
    };
    const providers = (url: string) => [...defaultProviders(url), { name: 'anthropic-cheap', dialect: 'anthropic' as const, baseUrl: url, apiKey: 'sk-ant-cheap', models: undefined, headers: {}, catalog: 'anthropic' }];
    const g = await start({ price: byProvider, providers, routing: (url) => routingFrom({ routes: [{ model: 'claude-sonnet-4-5', deployments: [{ provider: 'anthropic-cheap' }] }] }, providers(url)) });
    g.fake.script({ match: asked('claude-haiku-4-5'), status: 529 }, { match: asked('claude-sonnet-4-5'), usage });
    const { response } = await anthropic(g).messages.create({ model: 'claude-sonnet-4-5', max_tokens: 512, messages: hi }).withResponse();
    const row = await g.row(response.headers.get('x-tollgate-request-id')!);
    expect(row).toMatchObject({ model: 'claude-sonnet-4-5', provider: 'anthropic-cheap', attempts: 2, costPicos: cost('claude-sonnet-4-5', 1200, 300) / 2n });
    expect(row.routeSavingPicos).toBe(0n);
  });

  it('rewrites a Gemini path back to the model asked for', async () => {
    const g = await start();
    g.fake.script({ match: /gemini-2\.5-flash/, status: 503 }, { match: /gemini-2\.5-pro/, usage });
    const ai = new GoogleGenAI({ apiKey: g.key.key, httpOptions: { baseUrl: g.url } });
    const res = await ai.models.generateContent({ model: 'gemini-2.5-pro', contents: 'Say hi.' });
    expect(res.text).toBeTruthy();
    expect(g.fake.requests.map((r) => r.path)).toEqual(['/v1beta/models/gemini-2.5-flash:generateContent', '/v1beta/models/gemini-2.5-pro:generateContent']);
    const [row] = await g.rows();
    expect(row).toMatchObject({ model: 'gemini-2.5-pro', routeRule: 'short-flash', attempts: 2, outcome: 'ok', routeSavingPicos: 0n });
  });
});

describe('when a rule does not fall back', () => {
  const raw = (g: Harness) =>
    request(`${g.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': g.key.key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 512, messages: hi }),
    });

  it('with fallback: false the target’s error goes to the client as it came', async () => {
    const g = await start({ routingRules: [toHaiku({ fallback: false })] });
    g.fake.script({ match: asked('claude-haiku-4-5'), status: 529 });
    const res = await raw(g);
    const body = Buffer.from(await res.body.arrayBuffer());
    expect(res.statusCode).toBe(529);
    expect(body.equals(g.fake.requests[0]!.sent)).toBe(true);
    expect(g.fake.requests.map(model)).toEqual(['claude-haiku-4-5']);
    expect(res.headers['x-tollgate-model-rewritten']).toBe('claude-sonnet-4-5->claude-haiku-4-5');
    const [row] = await g.rows();
    expect(row).toMatchObject({ model: 'claude-haiku-4-5', status: 529, outcome: 'upstream_error', attempts: 1, routeRule: 'small-to-haiku' });
  });

  it('never falls back to a model that model policy denies the caller', async () => {
    const deny = toModelPolicy(parseRule(modelPolicyInput, { scope: 'user:alice', deny: ['claude-sonnet-*'] }), 'config', 0);
    const g = await start({ policy: { rules: { budgets: [], rateLimits: [], modelPolicies: [deny] } } });
    g.fake.script({ match: asked('claude-haiku-4-5'), status: 529 });
    const res = await raw(g);
    await res.body.dump();
    expect(res.statusCode).toBe(529);
    expect(g.fake.requests.map(model)).toEqual(['claude-haiku-4-5']);
  });

  it('does not fall back on an error retrying cannot fix', async () => {
    const g = await start();
    g.fake.script({ match: asked('claude-haiku-4-5'), status: 400 });
    const res = await raw(g);
    await res.body.dump();
    expect(res.statusCode).toBe(400);
    expect(g.fake.requests).toHaveLength(1);
  });
});
