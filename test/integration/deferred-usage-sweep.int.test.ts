import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { LedgerRow } from '../../src/core/ledger-row.js';
import { type Harness, type HarnessOptions, defaultProviders, eventually, spentOn, startHarness, testBudget } from '../support/harness.js';
import { sharedLedgers, startReplicas } from '../support/replicas.js';
import { routingFrom } from '../support/routing.js';

/**
 * Background responses whose client never looks them up again: the gateway asks OpenAI about
 * them itself, with the key it holds, and bills the creation row once they finish.
 */
describe('the background-response sweep', () => {
  let h: Harness;
  afterEach(() => h.close());

  const sweep = { intervalMs: 100, maxAgeMs: 3_600_000, firstAskMs: 0, firstWaitMs: 100 };
  const start = async (o: HarnessOptions = {}) => {
    h = await startHarness({ deferredUsage: sweep, ...o });
    h.fake.setDefault({ usage: { input: 300, output: 80 } });
  };
  const create = async (apiKey: string) => {
    const client = new OpenAI({ apiKey, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const { data, response } = await client.responses.create({ model: 'gpt-5', input: 'later', background: true }).withResponse();
    expect(data).toMatchObject({ status: 'queued', usage: null });
    return { responseId: data.id, id: response.headers.get('x-tollgate-request-id')! };
  };
  const settled = (id: string) =>
    eventually(async () => {
      const row = await h.row(id);
      expect(row.usageSource).toBe('final');
      return row;
    }, 5000);
  const lookups = (responseId: string) => h.fake.requests.filter((r) => r.method === 'GET' && r.path === `/v1/responses/${responseId}`);

  it('bills a response nobody looked up, asking with the configured key, and stops asking once it is billed', async () => {
    await start();
    const { id, responseId } = await create(h.key.key);
    const row = await settled(id);
    expect(row).toMatchObject({ api: 'openai.responses', model: 'gpt-fake', inputTokens: 300, outputTokens: 80, costPicos: 1100n, user: h.key.user, team: h.key.team });
    const asked = lookups(responseId);
    expect(asked[0]!.headers.authorization).toBe('Bearer sk-upstream-openai');
    await new Promise((r) => setTimeout(r, 400));
    expect(lookups(responseId)).toHaveLength(asked.length);
    // Only the creation row: the sweep's own asks are not requests of a client.
    expect((await h.rows()).map((r: LedgerRow) => r.api)).toEqual(['openai.responses']);
  });

  it('asks again while the response runs, and bills it when it has finished', async () => {
    await start();
    const running = (id: string) => ({ id, object: 'response', status: 'in_progress', background: true, model: 'gpt-fake', output: [], usage: null });
    const { id, responseId } = await create(h.key.key);
    h.fake.script({ body: running(responseId) });
    const row = await settled(id);
    expect(row).toMatchObject({ inputTokens: 300, outputTokens: 80, costPicos: 1100n });
    expect(lookups(responseId).length).toBeGreaterThanOrEqual(2);
    // /metrics shows each sweep's backlog: nothing left waiting once it is billed.
    await eventually(async () => {
      const text = await (await fetch(`${h.url}/metrics`, { headers: { authorization: 'Bearer admin-secret' } })).text();
      const waiting = text.split('\n').filter((l) => l.startsWith('tollgate_deferred_usage_waiting{'));
      expect(waiting.sort()).toEqual(['tollgate_deferred_usage_waiting{api="anthropic.batches"} 0', 'tollgate_deferred_usage_waiting{api="gemini.batches"} 0', 'tollgate_deferred_usage_waiting{api="gemini.interactions"} 0', 'tollgate_deferred_usage_waiting{api="openai.batches"} 0', 'tollgate_deferred_usage_waiting{api="openai.responses"} 0']);
    });
  });

  it('settles a response that failed without usage at zero, so that it is not asked about for ever', async () => {
    await start();
    const { id, responseId } = await create(h.key.key);
    h.fake.setDefault({ body: { id: responseId, object: 'response', status: 'failed', background: true, model: 'gpt-fake', error: { code: 'server_error', message: 'failed' }, output: [], usage: null } });
    const row = await settled(id);
    expect(row).toMatchObject({ inputTokens: 0, outputTokens: 0, costPicos: 0n });
  });

  it('never asks about a response made with the client’s own provider key, which Tollgate does not keep', async () => {
    await start();
    const { id, responseId } = await create('sk-client-own-key');
    await new Promise((r) => setTimeout(r, 500));
    expect(lookups(responseId)).toEqual([]);
    expect((await h.row(id)).usageSource).toBe('none');
  });

  it('asks with the key of the route deployment that made the response', async () => {
    await start({
      routing: (url) => routingFrom({ routes: [{ model: 'gpt-5', deployments: [{ provider: 'openai', name: 'bg-dep', api_key: 'sk-deployment-key' }] }] }, defaultProviders(url)),
    });
    const { id, responseId } = await create(h.key.key);
    await settled(id);
    expect(lookups(responseId)[0]!.headers.authorization).toBe('Bearer sk-deployment-key');
  });
});

const engines = sharedLedgers('sweep');

describe.each(engines)('two gateways sweeping one %s ledger', (_, shared) => {
  const user = testBudget({ scope: 'user:alice', window: 'day', limit_usd: 10 });
  let a: Harness;
  let b: Harness;
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  it('bill a response nobody looked up once, and charge the creator’s budget once', async () => {
    const sweep = { intervalMs: 50, maxAgeMs: 3_600_000, firstAskMs: 0, firstWaitMs: 50 };
    [a, b] = await startReplicas(shared(), [user], { input: 300, output: 80 }, { deferredUsage: sweep });
    const client = new OpenAI({ apiKey: a.key.key, baseURL: `${a.url}/v1`, maxRetries: 0 });
    const { data, response } = await client.responses.create({ model: 'gpt-5', input: 'later', background: true }).withResponse();
    const id = response.headers.get('x-tollgate-request-id')!;
    await a.tollgate.flush();
    // Running until both gateways have asked about it, then finished for both: each settles it, one changes the row.
    for (const g of [a, b]) g.fake.setDefault({ body: { id: data.id, object: 'response', status: 'in_progress', background: true, model: 'gpt-fake', output: [], usage: null } });
    await eventually(() => expect([a, b].map((g) => g.fake.requests.some((r) => r.method === 'GET'))).toEqual([true, true]), 5000);
    for (const g of [a, b]) g.fake.setDefault({ usage: { input: 300, output: 80 } });
    await eventually(async () => expect((await a.row(id)).usageSource).toBe('final'), 5000);
    await new Promise((r) => setTimeout(r, 300));
    const [total] = await a.tollgate.storage.ledger.aggregate({ by: [], since: (await a.row(id)).ts });
    expect(total).toMatchObject({ requests: 1, inputTokens: 300, outputTokens: 80, costPicos: 1100n });
    expect(await spentOn(a.tollgate, user)).toBe(1100n);
  });
});
