import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { budgetInput, parseRule, toBudget } from '../../src/policy/rule-input.js';
import { parseScope } from '../../src/policy/scope.js';
import { type Harness, eventually, startHarness, testPrice, useHarness } from '../support/harness.js';
import { FREE_ROW, sameBytes } from '../support/sdk-bytes.js';

/** The SDK calls besides generation (models, token counts, embeddings, stored responses): forwarded as sent, one row each. */
// The stored responses asked about here were made at the fake, not through Tollgate: every key may reach them (auth.stored_objects: shared).
const h = useHarness({ auth: { storedObjects: 'shared' } });


describe('Anthropic models through Tollgate', () => {
  const client = () => new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });

  it('models.list: the Anthropic list, as the provider sent it, recorded as anthropic.models at no cost', async () => {
    const res = await client().models.list().asResponse();
    const up = await sameBytes(h, res);
    expect(up.path).toBe('/v1/models');
    expect(up.route).toBe('anthropic.models');
    // The provider's key goes upstream where an Anthropic key belongs.
    expect(up.headers['x-api-key']).toBe('sk-ant-upstream');
    expect(res.headers.get('anthropic-ratelimit-requests-limit')).toBe(up.responseHeaders['anthropic-ratelimit-requests-limit']);
    const row = await h.row(res.headers.get('x-tollgate-request-id')!);
    expect(row).toMatchObject({ ...FREE_ROW, api: 'anthropic.models', provider: 'anthropic', modelRequested: '', client: 'anthropic-sdk' });
    const page = await client().models.list();
    expect(page.data.map((m) => m.id)).toContain('claude-sonnet-5-5');
  });

  it('models.retrieve: the model in the path is the row model, and the answer is Anthropic’s', async () => {
    const { data, response } = await client().models.retrieve('claude-sonnet-5-5').withResponse();
    expect(data).toMatchObject({ type: 'model', id: 'claude-sonnet-5-5' });
    const row = await h.row(response.headers.get('x-tollgate-request-id')!);
    expect(row).toMatchObject({ ...FREE_ROW, api: 'anthropic.models', provider: 'anthropic', model: 'claude-sonnet-5-5', modelRequested: 'claude-sonnet-5-5' });
    expect(h.fake.requests[0]!.path).toBe('/v1/models/claude-sonnet-5-5');
  });

  it('an unknown model is the provider’s 404, recorded as its error', async () => {
    await expect(client().models.retrieve('claude-none')).rejects.toThrow(/404/);
    const [row] = await h.rows();
    expect(row).toMatchObject({ api: 'anthropic.models', status: 404, outcome: 'upstream_error', errorType: 'not_found_error', costPicos: 0n });
  });

  it('/p/{provider}/v1/models goes to that provider in its dialect, whatever the credential header', async () => {
    const res = await fetch(`${h.url}/p/anthropic/v1/models`, { headers: { authorization: `Bearer ${h.key.key}` } });
    expect(res.status).toBe(200);
    const [row] = await h.rows();
    expect(row).toMatchObject({ api: 'anthropic.models', provider: 'anthropic' });
  });
});

describe('OpenAI models and stored responses through Tollgate', () => {
  const client = () => new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });

  it('models.list stays OpenAI’s when no Anthropic header is sent', async () => {
    const res = await client().models.list().asResponse();
    const up = await sameBytes(h, res);
    expect(up.route).toBe('openai.models');
    const row = await h.row(res.headers.get('x-tollgate-request-id')!);
    expect(row).toMatchObject({ ...FREE_ROW, api: 'openai.models', provider: 'openai' });
  });

  it('models.retrieve: forwarded unchanged, recorded as openai.models at no cost', async () => {
    const res = await client().models.retrieve('gpt-5-mini').asResponse();
    const up = await sameBytes(h, res);
    expect(up.path).toBe('/v1/models/gpt-5-mini');
    expect(up.headers.authorization).toBe('Bearer sk-upstream-openai');
    expect(res.headers.get('x-request-id')).toBe(up.responseHeaders['x-request-id']);
    const row = await h.row(res.headers.get('x-tollgate-request-id')!);
    expect(row).toMatchObject({ ...FREE_ROW, api: 'openai.models', model: 'gpt-5-mini', modelRequested: 'gpt-5-mini', client: 'openai-sdk' });
  });

  it('responses.retrieve does not bill the response again', async () => {
    h.fake.setDefault({ usage: { input: 300, output: 80 } });
    const res = await client().responses.retrieve('resp_abc123').asResponse();
    const up = await sameBytes(h, res);
    expect(up).toMatchObject({ method: 'GET', path: '/v1/responses/resp_abc123', route: 'openai.responses.retrieve' });
    const row = await h.row(res.headers.get('x-tollgate-request-id')!);
    expect(row).toMatchObject({ ...FREE_ROW, api: 'openai.responses_lookup', provider: 'openai', cacheReadTokens: 0, reasoningTokens: 0 });
    // Not the response's own record: an import of the call that created it must not be taken for a duplicate of this row.
    expect(row.responseId ?? null).toBeNull();
  });

  it('responses.retrieve with stream: the events again, byte for byte, recorded as a stream, not billed', async () => {
    h.fake.setDefault({ usage: { input: 300, output: 80 } });
    const res = await client().responses.retrieve('resp_abc123', { stream: true }).asResponse();
    const up = await sameBytes(h, res);
    expect(up.query.stream).toBe('true');
    expect(up.sent.toString()).toContain('event: response.completed');
    const row = await h.row(res.headers.get('x-tollgate-request-id')!);
    expect(row).toMatchObject({ ...FREE_ROW, api: 'openai.responses_lookup', stream: true });
    expect(row.ttftMs).not.toBeNull();
    const plain = await client().responses.retrieve('resp_abc123').asResponse();
    await plain.arrayBuffer();
    expect(await h.row(plain.headers.get('x-tollgate-request-id')!)).toMatchObject({ ...FREE_ROW, stream: false });
  });

  it('responses.delete, cancel and inputItems.list: forwarded with their methods, one cost-0 row each', async () => {
    const del = await client().responses.delete('resp_abc123').asResponse();
    expect(del.status).toBe(200);
    const cancelled = await client().responses.cancel('resp_abc123');
    expect(cancelled.status).toBe('cancelled');
    const items = await client().responses.inputItems.list('resp_abc123');
    expect(items.data).toHaveLength(1);
    const ups = await h.fake.waitForRequests(3);
    expect(ups.map((u) => [u.method, u.path, u.route])).toEqual([
      ['DELETE', '/v1/responses/resp_abc123', 'openai.responses.delete'],
      ['POST', '/v1/responses/resp_abc123/cancel', 'openai.responses.cancel'],
      ['GET', '/v1/responses/resp_abc123/input_items', 'openai.responses.input_items'],
    ]);
    const rows = await h.rows();
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).toMatchObject({ ...FREE_ROW, api: 'openai.responses_lookup' });
  });

  it('a background response: created queued without usage, its usage put once on its creation row when a lookup sees it finished', async () => {
    h.fake.setDefault({ usage: { input: 300, output: 80 } });
    const created = await client().responses.create({ model: 'gpt-5', input: 'later', background: true });
    expect(created).toMatchObject({ status: 'queued', usage: null });
    const done = await client().responses.retrieve(created.id);
    expect(done).toMatchObject({ status: 'completed', usage: { input_tokens: 300, output_tokens: 80 } });
    await client().responses.retrieve(created.id);
    const rows = await eventually(async () => {
      const all = await h.rows();
      expect(all[0]!.usageSource).toBe('final');
      return all;
    });
    expect(rows.map((r) => [r.api, r.model, r.inputTokens, r.outputTokens, r.usageSource, r.costPicos, r.responseId ?? null, r.user])).toEqual([
      // Priced at the model the finished response names. The test price: a pico per input token, ten per output token.
      ['openai.responses', 'gpt-fake', 300, 80, 'final', 1100n, created.id, 'alice'],
      ['openai.responses_lookup', 'gpt-fake', 0, 0, 'none', 0n, null, 'alice'],
      ['openai.responses_lookup', 'gpt-fake', 0, 0, 'none', 0n, null, 'alice'],
    ]);
    const [total] = await h.tollgate.storage.ledger.aggregate({ by: [], since: rows[0]!.ts });
    expect(total).toMatchObject({ requests: 3, inputTokens: 300, outputTokens: 80, costPicos: 1100n });
  });

  it('a background response retrieved with stream: its usage read from response.completed, put on its creation row', async () => {
    h.fake.setDefault({ usage: { input: 300, output: 80 } });
    const created = await client().responses.create({ model: 'gpt-5', input: 'later', background: true });
    const events = await client().responses.retrieve(created.id, { stream: true });
    for await (const e of events) if (e.type === 'response.completed') expect(e.response.usage?.input_tokens).toBe(300);
    const rows = await eventually(async () => {
      const all = await h.rows();
      expect(all[0]!.usageSource).toBe('final');
      return all;
    });
    expect(rows.map((r) => [r.api, r.stream, r.inputTokens, r.costPicos])).toEqual([
      ['openai.responses', false, 300, 1100n],
      ['openai.responses_lookup', true, 0, 0n],
    ]);
  });

  it('a lookup of a response created with its usage bills nothing more', async () => {
    h.fake.setDefault({ usage: { input: 300, output: 80 } });
    const created = await client().responses.create({ model: 'gpt-5', input: 'now' });
    await client().responses.retrieve(created.id);
    // Give a settlement (there must be none) the time to run.
    await new Promise((r) => setTimeout(r, 200));
    const rows = await h.rows();
    expect(rows.map((r) => [r.api, r.inputTokens, r.costPicos])).toEqual([
      ['openai.responses', 300, 1100n],
      ['openai.responses_lookup', 0, 0n],
    ]);
  });

  it('responses.inputTokens.count: forwarded unchanged, the count comes back, one cost-0 row', async () => {
    h.fake.script({ usage: { input: 42 } });
    const res = await client().responses.inputTokens.count({ model: 'gpt-5', input: 'count me' }).asResponse();
    const up = await sameBytes(h, res);
    expect(up).toMatchObject({ method: 'POST', path: '/v1/responses/input_tokens', route: 'openai.input_tokens', json: { model: 'gpt-5', input: 'count me' } });
    expect(up.headers.authorization).toBe('Bearer sk-upstream-openai');
    expect(JSON.parse(up.sent.toString())).toEqual({ object: 'response.input_tokens', input_tokens: 42 });
    const row = await h.row(res.headers.get('x-tollgate-request-id')!);
    expect(row).toMatchObject({ ...FREE_ROW, api: 'openai.input_tokens', provider: 'openai', model: 'gpt-5', modelRequested: 'gpt-5', client: 'openai-sdk' });
  });

  it('responses.inputTokens.count without a model (the SDK sends {}) is served too', async () => {
    const counted = await client().responses.inputTokens.count();
    expect(counted.object).toBe('response.input_tokens');
    const [up] = await h.fake.waitForRequests(1);
    expect(up!.json).toEqual({});
    const [row] = await h.rows();
    expect(row).toMatchObject({ ...FREE_ROW, api: 'openai.input_tokens', provider: 'openai', modelRequested: '' });
  });

  it('responses.compact: forwarded unchanged, billed once from its usage, at the requested model (a compaction names none)', async () => {
    h.fake.script({ usage: { input: 300, cacheRead: 100, output: 80, reasoning: 20 } });
    const { data, response } = await client()
      .responses.compact({ model: 'gpt-5', input: [{ role: 'user', content: 'a long conversation' }] })
      .withResponse();
    expect(data).toMatchObject({ object: 'response.compaction', usage: { input_tokens: 400, input_tokens_details: { cached_tokens: 100 }, output_tokens: 80 } });
    expect(data.output.at(-1)?.type).toBe('compaction');
    const [up] = await h.fake.waitForRequests(1);
    expect(up).toMatchObject({ method: 'POST', path: '/v1/responses/compact', route: 'openai.compact' });
    expect(up!.headers.authorization).toBe('Bearer sk-upstream-openai');
    expect(up!.body.toString()).toBe(JSON.stringify({ model: 'gpt-5', input: [{ role: 'user', content: 'a long conversation' }] }));
    const row = await h.row(response.headers.get('x-tollgate-request-id')!);
    expect(row).toMatchObject({
      api: 'openai.compact',
      provider: 'openai',
      model: 'gpt-5',
      modelRequested: 'gpt-5',
      inputTokens: 400,
      cacheReadTokens: 100,
      outputTokens: 80,
      reasoningTokens: 20,
      usageSource: 'final',
      outcome: 'ok',
      responseId: data.id,
      // The test price: a pico per input token, ten per output token.
      costPicos: 1200n,
    });
  });

  it('responses.compact: the client gets the provider’s bytes', async () => {
    const res = await client().responses.compact({ model: 'gpt-5', input: 'hi' }).asResponse();
    await sameBytes(h, res);
    expect(await h.rows()).toHaveLength(1);
  });
});

describe('compaction and token counts under spend controls', () => {
  const spent = toBudget(parseRule(budgetInput, { scope: 'model:gpt-5', window: 'day', limit_usd: 0 }), 'budget', 'config', 0);
  const rewrite = { id: 'mini', name: null, scope: parseScope('team:platform'), allow: null, deny: [], rewrites: [{ from: 'gpt-5-pro', to: 'gpt-5-mini' }], allowKeep: false, source: 'config' as const, createdAt: 0 };
  const p = useHarness({ policy: { rules: { budgets: [spent], rateLimits: [], modelPolicies: [rewrite] } } });
  const client = () => new OpenAI({ apiKey: p.key.key, baseURL: `${p.url}/v1`, maxRetries: 0 });

  it('a compaction costs money: a spent budget refuses it', async () => {
    const err = await client().responses.compact({ model: 'gpt-5', input: 'hi' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
    expect(p.fake.requests).toHaveLength(0);
    const [row] = await p.rows();
    expect(row).toMatchObject({ api: 'openai.compact', modelRequested: 'gpt-5', status: 402, outcome: 'rejected', errorType: 'budget_exceeded' });
  });

  it('a model policy rewrites a compaction, which is then recorded and priced at the model that served it', async () => {
    p.fake.script({ usage: { input: 300, output: 80 } });
    const { response } = await client().responses.compact({ model: 'gpt-5-pro', input: 'hi' }).withResponse();
    expect(response.headers.get('x-tollgate-model-rewritten')).toBe('gpt-5-pro->gpt-5-mini');
    const [up] = await p.fake.waitForRequests(1);
    expect(up!.json).toEqual({ model: 'gpt-5-mini', input: 'hi' });
    const [row] = await p.rows();
    expect(row).toMatchObject({ api: 'openai.compact', model: 'gpt-5-mini', modelRequested: 'gpt-5-pro', inputTokens: 300, outputTokens: 80, costPicos: 1100n });
  });

  it('counting input tokens is free: the spent budget lets it through', async () => {
    const counted = await client().responses.inputTokens.count({ model: 'gpt-5', input: 'hi' });
    expect(counted.object).toBe('response.input_tokens');
    const [row] = await p.rows();
    expect(row).toMatchObject({ api: 'openai.input_tokens', status: 200, outcome: 'ok', costPicos: 0n });
  });
});

describe('compaction service tier', () => {
  let p: Harness;
  const tiers: (string | undefined)[] = [];

  beforeAll(async () => {
    p = await startHarness({
      price: (r) => {
        tiers.push(r.serviceTier);
        return testPrice(r);
      },
    });
  });
  afterAll(() => p.close());

  it('prices a compaction at the tier asked for, since its answer names none (auto and default as default)', async () => {
    const client = new OpenAI({ apiKey: p.key.key, baseURL: `${p.url}/v1`, maxRetries: 0 });
    for (const service_tier of ['flex', 'priority', 'auto', undefined] as const) {
      p.fake.script({ usage: { input: 300, output: 80 } });
      await client.responses.compact({ model: 'gpt-5', input: 'hi', ...(service_tier ? { service_tier } : {}) });
    }
    expect((await p.rows()).filter((r) => r.api === 'openai.compact').map((r) => r.serviceTier ?? null).sort()).toEqual(['flex', 'priority', null, null].sort());
    expect(tiers).toEqual(['flex', 'priority', undefined, undefined]);
  });
});
