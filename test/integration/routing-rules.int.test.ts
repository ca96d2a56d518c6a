import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createKey } from '../../src/identity/key-service.js';
import { modelPolicyInput, parseRule, toModelPolicy } from '../../src/policy/rule-input.js';
import type { RoutingRule } from '../../src/routing/rules/rule.js';
import { type Harness, defaultProviders, startHarness } from '../support/harness.js';
import { ruleCost as cost, rulePrice as price, routingFrom } from '../support/routing.js';


const RULES: RoutingRule[] = [
  { id: 'small-to-haiku', mode: 'enforce', match: { model: ['claude-sonnet-*'], inputTokens: { lt: 2000 }, tools: false }, action: { model: 'claude-haiku-4-5' } },
  { id: 'review-to-mini', mode: 'shadow', match: { api: ['openai.chat'], tags: { workflow: 'review' } }, action: { model: 'gpt-5-mini' } },
  { id: 'short-flash', mode: 'enforce', match: { api: ['gemini.generate'], maxTokens: { lte: 256 } }, action: { model: 'gemini-2.5-flash' } },
];
const usage = { input: 1200, output: 300 };

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});
afterAll(async () => h?.close());

describe('routing rules through the gateway', () => {
  it('an enforced rule moves a small request without tools to the cheaper model, and records the actual saving', async () => {
    h = await startHarness({ price, routingRules: RULES });
    h.fake.setDefault({ usage });
    const client = new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
    const { data, response } = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 512, messages: [{ role: 'user', content: 'Summarise: the build is green.' }] }).withResponse();
    expect(data.model).toBe('claude-haiku-4-5');
    expect((h.fake.requests[0]!.json as { model: string }).model).toBe('claude-haiku-4-5');
    expect(response.headers.get('x-tollgate-route-rule')).toBe('small-to-haiku');
    expect(response.headers.get('x-tollgate-model-rewritten')).toBe('claude-sonnet-4-5->claude-haiku-4-5');
    const row = await h.row(response.headers.get('x-tollgate-request-id')!);
    expect(row).toMatchObject({ model: 'claude-haiku-4-5', modelRequested: 'claude-sonnet-4-5', routeRule: 'small-to-haiku', routeMode: 'enforce', costPicos: cost('claude-haiku-4-5', 1200, 300) });
    expect(row.routeSavingPicos).toBe(cost('claude-sonnet-4-5', 1200, 300) - cost('claude-haiku-4-5', 1200, 300));

    // With tools, or with a long prompt, the same request is left alone.
    await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 512, messages: [{ role: 'user', content: 'Use the tool.' }], tools: [{ name: 'Bash', input_schema: { type: 'object' } }] });
    await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 512, messages: [{ role: 'user', content: 'word '.repeat(2000) }] });
    expect(h.fake.requests.slice(1).map((r) => (r.json as { model: string }).model)).toEqual(['claude-sonnet-4-5', 'claude-sonnet-4-5']);
    const rows = await h.rows();
    expect(rows.filter((r) => r.routeRule === null).map((r) => r.model)).toEqual(['claude-sonnet-4-5', 'claude-sonnet-4-5']);
  });

  it('prices an enforced request whose stream is cut before naming its model at the rule model, with its saving', async () => {
    // Without the fallback to the model asked for, which would take a stream cut before its output.
    h = await startHarness({ price, routingRules: [{ ...RULES[0]!, action: { model: 'claude-haiku-4-5', fallback: false } }] });
    h.fake.setDefault({ cutAfterEvents: 0 });
    await fetch(`${h.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': h.key.key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }, body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 512, stream: true, messages: [{ role: 'user', content: 'Summarise: the build is green.' }] }) })
      .then((r) => r.text())
      .catch(() => '');
    expect((h.fake.requests[0]!.json as { model: string }).model).toBe('claude-haiku-4-5');
    const [row] = await h.rows();
    // Without the fix the row named (and was priced at) the model the client asked for, with no saving.
    expect(row).toMatchObject({ model: 'claude-haiku-4-5', modelRequested: 'claude-sonnet-4-5', outcome: 'truncated', usageSource: 'estimated', routeRule: 'small-to-haiku' });
    expect(row!.costPicos).toBe(cost('claude-haiku-4-5', row!.inputTokens, 0));
    expect(row!.routeSavingPicos).toBe(cost('claude-sonnet-4-5', row!.inputTokens, 0) - cost('claude-haiku-4-5', row!.inputTokens, 0));
  });

  it('a shadow rule changes nothing upstream or for the client, and records its would-be saving once usage is known', async () => {
    h = await startHarness({ price, routingRules: RULES });
    h.fake.setDefault({ usage });
    const client = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const body = { model: 'gpt-5', messages: [{ role: 'user' as const, content: 'Review this diff.' }] };
    const { data, response } = await client.chat.completions.create(body, { headers: { 'x-tollgate-tags': 'workflow=review' } }).withResponse();
    expect(data.model).toBe('gpt-5');
    expect(response.headers.get('x-tollgate-route-rule')).toBeNull();
    expect(response.headers.get('x-tollgate-model-rewritten')).toBeNull();
    // Upstream got the client's exact bytes.
    expect(h.fake.requests[0]!.body.toString()).toBe(JSON.stringify(body));
    const row = await h.row(response.headers.get('x-tollgate-request-id')!);
    expect(row).toMatchObject({ model: 'gpt-5', routeRule: 'review-to-mini', routeMode: 'shadow' });
    expect(row.inputTokens).toBe(1200);
    expect(row.routeSavingPicos).toBe(cost('gpt-5', 1200, 300) - cost('gpt-5-mini', 1200, 300));

    // A streamed request's saving is priced from its streamed usage.
    const stream = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } }, { headers: { 'x-tollgate-tags': 'workflow=review' } });
    for await (const _ of stream) void _;
    const [streamed] = (await h.rows()).filter((r) => r.stream);
    expect(streamed).toMatchObject({ routeRule: 'review-to-mini', routeMode: 'shadow', routeSavingPicos: cost('gpt-5', 1200, 300) - cost('gpt-5-mini', 1200, 300) });

    // Without the tag no rule matches.
    await client.chat.completions.create(body);
    expect((await h.rows()).filter((r) => r.routeRule === null)).toHaveLength(1);

    // The admin API serves the same report as the CLI.
    const admin = await fetch(`${h.url}/admin/v1/report?by=rule&since=1d`, { headers: { authorization: 'Bearer admin-secret' } });
    expect(admin.status).toBe(200);
    const report = (await admin.json()) as { rows: Record<string, unknown>[] };
    expect(report.rows).toEqual([expect.objectContaining({ rule: 'review-to-mini', mode: 'shadow', requests: 2, saving_basis: 'estimated' })]);
    const mixed = await fetch(`${h.url}/admin/v1/report?by=rule,user`, { headers: { authorization: 'Bearer admin-secret' } });
    expect(mixed.status).toBe(400);
    expect(await mixed.json()).toMatchObject({ error: { message: expect.stringContaining('by=rule cannot be combined') } });
  });

  it('a rule to a provider of another dialect does not apply to a request it could not take translated: the request is served as asked', async () => {
    const toLocal: RoutingRule[] = [{ id: 'small-to-local', mode: 'enforce', match: { model: ['claude-sonnet-*'], inputTokens: { lt: 2000 }, tools: false }, action: { model: 'qwen3-coder' } }];
    h = await startHarness({
      price,
      routingRules: toLocal,
      providers: (url) => [...defaultProviders(url), { name: 'local-qwen', dialect: 'openai', baseUrl: url, apiKey: 'sk-local', models: ['qwen*'], headers: {}, catalog: undefined, translateFrom: ['anthropic'] }],
    });
    h.fake.setDefault({ usage });
    const client = new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
    // A PDF document block has no chat equivalent: the rule steps aside rather than refuse it.
    const doc = { type: 'document' as const, source: { type: 'base64' as const, media_type: 'application/pdf' as const, data: 'JVBERi0=' } };
    const { response } = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 512, messages: [{ role: 'user', content: [doc, { type: 'text', text: 'Summarise.' }] }] }).withResponse();
    expect(response.headers.get('x-tollgate-route-rule')).toBeNull();
    expect(h.fake.requests[0]).toMatchObject({ path: '/v1/messages' });
    // A plain small request is still moved, translated.
    const moved = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 512, messages: [{ role: 'user', content: 'Summarise: the build is green.' }] }).withResponse();
    expect(moved.response.headers.get('x-tollgate-route-rule')).toBe('small-to-local');
    expect(h.fake.requests[1]).toMatchObject({ path: '/v1/chat/completions' });
  });

  it('a rule to another vendor’s model does not apply where the only provider that takes it takes any name: it is not sent to Anthropic as gpt-5-mini', async () => {
    const toMini: RoutingRule[] = [{ id: 'sonnet-to-mini', mode: 'enforce', match: { model: ['claude-sonnet-*'] }, action: { model: 'gpt-5-mini' } }];
    h = await startHarness({ price, routingRules: toMini });
    h.fake.setDefault({ usage });
    const client = new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
    const { response } = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 512, messages: [{ role: 'user', content: 'Hi.' }] }).withResponse();
    expect(response.headers.get('x-tollgate-route-rule')).toBeNull();
    expect(h.fake.requests.map((r) => `${r.path} ${(r.json as { model: string }).model}`)).toEqual(['/v1/messages claude-sonnet-4-5']);
  });

  it('a model the first provider’s globs leave out goes to a provider without globs, plain or moved there by a rule', async () => {
    const toMini: RoutingRule[] = [{ id: 'gpt-to-mini', mode: 'enforce', match: { model: ['gpt-5'] }, action: { model: 'gpt-5-mini' } }];
    // The provider with globs stands first, as in a config that adds a local model above the hosted one.
    h = await startHarness({
      price,
      routingRules: toMini,
      providers: (url) => [{ name: 'local-qwen', dialect: 'openai', baseUrl: url, apiKey: undefined, models: ['qwen*'], headers: {}, catalog: undefined, translateFrom: ['anthropic'] }, ...defaultProviders(url)],
    });
    h.fake.setDefault({ usage });
    const client = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    for (const model of ['gpt-5-mini', 'gpt-5', 'qwen3-coder']) await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi.' }] });
    expect(h.fake.requests.map((r) => [(r.json as { model: string }).model, r.headers.authorization])).toEqual([
      ['gpt-5-mini', 'Bearer sk-upstream-openai'],
      ['gpt-5-mini', 'Bearer sk-upstream-openai'],
      ['qwen3-coder', undefined],
    ]);
    const rows = await h.rows();
    expect(rows.map((r) => [r.modelRequested, r.provider, r.routeRule])).toEqual([
      ['gpt-5-mini', 'openai', null],
      ['gpt-5', 'openai', 'gpt-to-mini'],
      ['qwen3-coder', 'local-qwen', null],
    ]);
  });

  it('an enforced rule rewrites the model in a Gemini path', async () => {
    h = await startHarness({ price, routingRules: RULES });
    h.fake.setDefault({ usage });
    const ai = new GoogleGenAI({ apiKey: h.key.key, httpOptions: { baseUrl: h.url } });
    await ai.models.generateContent({ model: 'gemini-2.5-pro', contents: 'Say hi.', config: { maxOutputTokens: 200 } });
    expect(h.fake.requests[0]!.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    const [row] = await h.rows();
    expect(row).toMatchObject({ modelRequested: 'gemini-2.5-pro', routeRule: 'short-flash', routeMode: 'enforce', routeSavingPicos: cost('gemini-2.5-pro', 1200, 300) - cost('gemini-2.5-flash', 1200, 300) });
  });

  it('never routes to a model that model policy denies the caller: the next rule, or none, applies', async () => {
    const deny = toModelPolicy(parseRule(modelPolicyInput, { scope: 'user:alice', deny: ['claude-haiku-*'] }), 'config', 0);
    const rules: RoutingRule[] = [
      RULES[0]!,
      { id: 'shadow-haiku', mode: 'shadow', match: {}, action: { model: 'claude-haiku-4-5' } },
      { id: 'small-to-opus', mode: 'shadow', match: { model: ['claude-sonnet-*'] }, action: { model: 'claude-opus-4-1' } },
    ];
    h = await startHarness({ price, routingRules: rules, policy: { rules: { budgets: [], rateLimits: [], modelPolicies: [deny] } } });
    h.fake.setDefault({ usage });
    const client = new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
    await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 512, messages: [{ role: 'user', content: 'small' }] });
    expect((h.fake.requests[0]!.json as { model: string }).model).toBe('claude-sonnet-4-5');
    const [row] = await h.rows();
    // opus has no price here, so its would-be saving is unknown.
    expect(row).toMatchObject({ model: 'claude-sonnet-4-5', routeRule: 'small-to-opus', routeMode: 'shadow', routeSavingPicos: null });
  });

  it('a rule sends a request to a named deployment, alone, in enforce mode, and only records it in shadow mode', async () => {
    const rules: RoutingRule[] = [
      { id: 'eu-team-to-eu', mode: 'enforce', match: { team: ['eu-*'] }, action: { deployment: 'sonnet-eu' } },
      { id: 'trial-local', mode: 'shadow', match: {}, action: { model: 'claude-haiku-4-5', deployment: 'haiku-local' } },
    ];
    const dep = (name: string, extra: Record<string, unknown> = {}) => ({ provider: 'anthropic', name, headers: { 'x-dep': name }, ...extra });
    h = await startHarness({
      price,
      routingRules: rules,
      routing: (url) =>
        routingFrom(
          {
            routing: { affinity: { enabled: false }, retry: { backoff_ms: 5 } },
            routes: [
              { model: 'claude-sonnet-4-5', deployments: [dep('sonnet-us'), dep('sonnet-eu', { order: 1 })], retry: { per_deployment: 2 } },
              { model: 'claude-haiku-*', deployments: [dep('haiku-local', { model: 'claude-haiku-4-5' })] },
            ],
          },
          defaultProviders(url),
        ),
    });
    h.fake.setDefault({ usage });
    const eu = await createKey(h.tollgate.storage.keys, { user: 'bob', team: 'eu-payments', project: null });
    const ask = (key: string) => new Anthropic({ apiKey: key, baseURL: h!.url, maxRetries: 0 }).messages.create({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }).withResponse();

    // Enforce: the EU team's request skips the lower-order US deployment and goes to the EU one.
    const pinned = await ask(eu.key);
    expect(pinned.response.headers.get('x-tollgate-deployment')).toBe('sonnet-eu');
    expect(pinned.response.headers.get('x-tollgate-route-rule')).toBe('eu-team-to-eu');
    expect(h.fake.requests.map((r) => [r.headers['x-dep'], (r.json as { model: string }).model])).toEqual([['sonnet-eu', 'claude-sonnet-4-5']]);
    const row = await h.row(pinned.response.headers.get('x-tollgate-request-id')!);
    expect(row).toMatchObject({ model: 'claude-sonnet-4-5', routeRule: 'eu-team-to-eu', routeMode: 'enforce', routeSavingPicos: 0n, attempts: 1 });

    // Pinned means alone: a failure there is retried there, never moved to the US deployment.
    h.fake.reset();
    h.fake.script({ status: 500 }, { usage });
    const retried = await ask(eu.key);
    expect(retried.response.headers.get('x-tollgate-attempts')).toBe('2');
    expect(h.fake.requests.map((r) => r.headers['x-dep'])).toEqual(['sonnet-eu', 'sonnet-eu']);

    // Shadow: the default caller is served as routed (US first) and the row records the rule and its would-be saving.
    h.fake.reset();
    h.fake.setDefault({ usage });
    const shadow = await ask(h.key.key);
    expect(shadow.response.headers.get('x-tollgate-deployment')).toBe('sonnet-us');
    expect(shadow.response.headers.get('x-tollgate-route-rule')).toBeNull();
    expect(h.fake.requests.map((r) => r.headers['x-dep'])).toEqual(['sonnet-us']);
    const srow = await h.row(shadow.response.headers.get('x-tollgate-request-id')!);
    expect(srow).toMatchObject({ model: 'claude-sonnet-4-5', routeRule: 'trial-local', routeMode: 'shadow', routeSavingPicos: cost('claude-sonnet-4-5', 1200, 300) - cost('claude-haiku-4-5', 1200, 300) });
  });
});
