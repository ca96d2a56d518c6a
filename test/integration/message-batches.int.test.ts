import Anthropic from '@anthropic-ai/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LedgerRow } from '../../src/core/ledger-row.js';
import { batchResultId } from '../../src/metering/batch-results.js';
import { type Harness, defaultProviders, eventually, startHarness, spentOn, testBudget, tierPrice, useHarness } from '../support/harness.js';
import { sharedLedgers, startReplicas } from '../support/replicas.js';
import { routingFrom } from '../support/routing.js';


const USAGE = { input: 100, cacheRead: 40, cacheWrite5m: 20, cacheWrite1h: 10, output: 50 };
/** The Message usage normalised: input includes cache reads and writes (100 + 40 + 20 + 10). */
const TOKENS = { inputTokens: 170, cacheReadTokens: 40, cacheWriteTokens: 30, cacheWrite1hTokens: 10, outputTokens: 50 };
/** At the standard tier: 170 + 10 × 50. */
const STANDARD = 670n;

const requests = [
  { custom_id: 'ok-1', params: { model: 'claude-sonnet-5-5', max_tokens: 64, messages: [{ role: 'user' as const, content: 'one' }] } },
  { custom_id: 'err-2', params: { model: 'claude-sonnet-5-5', max_tokens: 64, messages: [{ role: 'user' as const, content: 'two' }] } },
  { custom_id: 'ok-3', params: { model: 'claude-sonnet-5-5', max_tokens: 64, messages: [{ role: 'user' as const, content: 'three' }] } },
];

describe('Message Batches through the Anthropic SDK', () => {
  const budget = testBudget({ scope: 'user:alice', window: 'day', limit_usd: 10 });
  const h = useHarness({ price: tierPrice, policy: { rules: { budgets: [budget], rateLimits: [], modelPolicies: [] } } });
  const client = (prefix = '') => new Anthropic({ apiKey: h.key.key, baseURL: `${h.url}${prefix}`, maxRetries: 0 });
  const spent = () => spentOn(h.tollgate, budget);
  const billed = (rows: LedgerRow[]) => rows.filter((r) => r.api === 'anthropic.batch_message');
  const settle = () => new Promise((r) => setTimeout(r, 200));

  it('create, retrieve, list, results: results_url points at the gateway, results are the fake’s bytes, each succeeded result billed once at the batch price, budgets charged once', async () => {
    h.fake.setDefault({ usage: USAGE });
    // A request admitted first: the budget's counter is live, so batch spend reaches it by chargeSettled.
    await client().messages.create({ model: 'claude-sonnet-5-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    const before = await spent();
    expect(before).toBe(STANDARD);

    const batch = await client().messages.batches.create({ requests });
    expect(batch).toMatchObject({ type: 'message_batch', processing_status: 'in_progress', results_url: null, request_counts: { processing: 3 } });
    expect(batch.id).toMatch(/^msgbatch_/);
    const resultsUrl = `${h.url}/v1/messages/batches/${batch.id}/results`;
    const ended = await client().messages.batches.retrieve(batch.id);
    expect(ended).toMatchObject({ id: batch.id, processing_status: 'ended', request_counts: { succeeded: 2, errored: 1 }, results_url: resultsUrl });
    const listed = [];
    for await (const b of client().messages.batches.list()) listed.push(b);
    expect(listed.find((b) => b.id === batch.id)?.results_url).toBe(resultsUrl);

    const results = [];
    for await (const r of await client().messages.batches.results(batch.id)) results.push(r);
    const upstream = h.fake.requests.filter((r) => r.route === 'anthropic.batches.results');
    expect(upstream).toHaveLength(1);
    // Bytes as the fake sent them, read as the SDK reads them.
    const sent = upstream[0]!.sent.toString('utf8');
    expect(results).toEqual(sent.trim().split('\n').map((l) => JSON.parse(l)));
    expect(results.map((r) => [r.custom_id, r.result.type])).toEqual([['ok-1', 'succeeded'], ['err-2', 'errored'], ['ok-3', 'succeeded']]);
    // And byte for byte, fetched raw with the gateway key.
    const raw = await fetch(resultsUrl, { headers: { 'x-api-key': h.key.key, 'anthropic-version': '2023-06-01' } });
    expect(Buffer.from(await raw.arrayBuffer()).equals(upstream[0]!.sent)).toBe(true);
    // A third download, through the SDK again.
    for await (const _ of await client().messages.batches.results(batch.id)) void _;

    const rows = await eventually(async () => {
      const all = await h.rows();
      expect(billed(all)).toHaveLength(2);
      return all;
    });
    await settle();
    const after = await h.rows();
    expect(billed(after).map((r) => r.id).sort()).toEqual([batchResultId(batch.id, 'ok-1'), batchResultId(batch.id, 'ok-3')].sort());
    for (const r of billed(after)) {
      expect(r).toMatchObject({
        ...TOKENS,
        api: 'anthropic.batch_message',
        provider: 'anthropic',
        model: 'claude-sonnet-5-5',
        user: 'alice',
        team: 'platform',
        project: 'tollgate',
        keyId: h.key.id,
        status: 200,
        outcome: 'ok',
        usageSource: 'final',
        // Half the standard price.
        costPicos: STANDARD / 2n,
      });
      expect(r.tags).toMatchObject({ batch_id: batch.id, custom_id: r.id === batchResultId(batch.id, 'ok-1') ? 'ok-1' : 'ok-3' });
    }
    // The batch's own requests are free rows, one each: create, retrieve, list, and per SDK results() a retrieve; three downloads.
    const free = after.filter((r) => r.api === 'anthropic.batches' || r.api === 'anthropic.batch_results');
    expect(free.map((r) => r.api).sort()).toEqual([...Array<string>(3).fill('anthropic.batch_results'), ...Array<string>(5).fill('anthropic.batches')]);
    for (const r of free) expect(r).toMatchObject({ costPicos: 0n, inputTokens: 0, outputTokens: 0, status: 200 });
    expect(rows).not.toHaveLength(0);
    const [total] = await h.tollgate.storage.ledger.aggregate({ by: [], since: after[0]!.ts });
    expect(total!.costPicos).toBe(STANDARD + STANDARD);
    // The budget saw the message and the two results, once.
    await eventually(async () => expect(await spent()).toBe(STANDARD + STANDARD));
    // And /metrics counted their tokens and spend once: the message's and the two results'.
    const text = await (await fetch(`${h.url}/metrics`, { headers: { authorization: 'Bearer admin-secret' } })).text();
    const series = (line: string) => Number(text.split('\n').find((l) => l.startsWith(`${line} `))?.slice(line.length + 1));
    expect(series('tollgate_tokens_total{provider="anthropic",model="claude-sonnet-5-5",class="input"}')).toBe(3 * TOKENS.inputTokens);
    expect(series('tollgate_tokens_total{provider="anthropic",model="claude-sonnet-5-5",class="output"}')).toBe(3 * TOKENS.outputTokens);
    expect(series('tollgate_cost_usd_total{provider="anthropic",model="claude-sonnet-5-5",team="platform"}')).toBe(Number(STANDARD + STANDARD) / 1e12);
  });

  it('cancel and delete are served and free; results_url keeps the /p/{provider} prefix', async () => {
    const batch = await client('/p/anthropic').messages.batches.create({ requests: requests.slice(0, 1) });
    const canceled = await client('/p/anthropic').messages.batches.cancel(batch.id);
    expect(canceled).toMatchObject({ id: batch.id, processing_status: 'canceling', results_url: null });
    const ended = await client('/p/anthropic').messages.batches.retrieve(batch.id);
    expect(ended.results_url).toBe(`${h.url}/p/anthropic/v1/messages/batches/${batch.id}/results`);
    const results = [];
    for await (const r of await client('/p/anthropic').messages.batches.results(batch.id)) results.push(r);
    expect(results.map((r) => r.result.type)).toEqual(['canceled']);
    expect(await client().messages.batches.delete(batch.id)).toEqual({ id: batch.id, type: 'message_batch_deleted' });
    await settle();
    const rows = await h.rows();
    // create, cancel, retrieve, then results() (which retrieves the batch first, then downloads), delete.
    expect(rows.map((r) => [r.api, r.status, r.costPicos])).toEqual([
      ...Array.from({ length: 4 }, () => ['anthropic.batches', 200, 0n]),
      ['anthropic.batch_results', 200, 0n],
      ['anthropic.batches', 200, 0n],
    ]);
  });
});

describe('Message Batches with a configured route for every model', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('a batch names no model of its own: it is not routed, and its body goes upstream as sent', async () => {
    h = await startHarness({
      routing: (url) =>
        routingFrom(
          { routing: { retry: { backoff_ms: 5, per_deployment: 1 }, affinity: { enabled: false } }, routes: [{ model: '*', deployments: [{ provider: 'anthropic', name: 'claude-a', model: 'claude-other' }] }] },
          defaultProviders(url),
        ),
    });
    const client = new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
    const batch = await client.messages.batches.create({ requests });
    expect(batch.processing_status).toBe('in_progress');
    const [create] = h.fake.requests.filter((r) => r.route === 'anthropic.batches.create');
    expect(create!.json).toEqual({ requests });
    const rows = await eventually(async () => {
      const all = await h.rows();
      expect(all).toHaveLength(1);
      return all;
    });
    expect(rows[0]).toMatchObject({ api: 'anthropic.batches', status: 200, costPicos: 0n, attempts: 1 });
    expect(rows[0]!.attemptLog).toBeUndefined();
  });
});

const engines = sharedLedgers('batch');

describe.each(engines)('batch results downloaded through two gateways at once on one %s ledger', (_, shared) => {
  const budget = testBudget({ scope: 'user:alice', window: 'day', limit_usd: 10 });
  let a: Harness;
  let b: Harness;
  beforeEach(async () => {
    [a, b] = await startReplicas(shared(), [budget], USAGE, { price: tierPrice });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  it('each succeeded result is recorded once and charged to the shared budget once', async () => {
    const client = (x: Harness) => new Anthropic({ apiKey: a.key.key, baseURL: x.url, maxRetries: 0 });
    await client(a).messages.create({ model: 'claude-sonnet-5-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    const batch = await client(a).messages.batches.create({ requests });
    const drain = async (x: Harness) => {
      const out = [];
      for await (const r of await client(x).messages.batches.results(batch.id)) out.push(r.custom_id);
      return out;
    };
    expect(await Promise.all([drain(a), drain(b), drain(b), drain(a)])).toEqual(Array.from({ length: 4 }, () => ['ok-1', 'err-2', 'ok-3']));
    await new Promise((r) => setTimeout(r, 300));
    await b.tollgate.flush();
    const rows = await eventually(async () => {
      const all = (await a.rows()).filter((r) => r.api === 'anthropic.batch_message');
      expect(all).toHaveLength(2);
      return all;
    });
    expect(rows.map((r) => [r.user, r.costPicos]).sort()).toEqual([['alice', STANDARD / 2n], ['alice', STANDARD / 2n]]);
    await eventually(async () => expect(await spentOn(a.tollgate, budget)).toBe(STANDARD + STANDARD));
  });
});

describe('a Message Batch nobody downloads through the gateway', () => {
  const budget = testBudget({ scope: 'user:alice', window: 'day', limit_usd: 10 });
  let h: Harness;
  afterEach(() => h.close());

  it('is billed by the sweep once it has ended, to its creator, at the batch price; a later download adds nothing', async () => {
    h = await startHarness({
      price: tierPrice,
      policy: { rules: { budgets: [budget], rateLimits: [], modelPolicies: [] } },
      deferredUsage: { intervalMs: 100, maxAgeMs: 3_600_000, firstAskMs: 0, firstWaitMs: 100 },
    });
    h.fake.setDefault({ usage: USAGE });
    const client = new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
    // A request admitted first: the budget's counter is live, so batch spend reaches it.
    await client.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    const { data: batch, response } = await client.messages.batches.create({ requests }).withResponse();
    const createId = response.headers.get('x-tollgate-request-id')!;
    const billedRows = () =>
      eventually(async () => {
        const rows = (await h.rows()).filter((r) => r.api === 'anthropic.batch_message');
        expect(rows).toHaveLength(2);
        return rows;
      }, 5000);
    const rows = await billedRows();
    for (const r of rows) expect(r).toMatchObject({ ...TOKENS, user: 'alice', team: 'platform', keyId: h.key.id, costPicos: STANDARD / 2n, tags: { batch_id: batch.id } });
    // The sweep asked with the configured key, never the client's.
    const asked = h.fake.requests.filter((r) => r.route === 'anthropic.batches.results');
    expect(asked.map((r) => r.headers['x-api-key'])).toEqual(['sk-ant-upstream']);
    await eventually(async () => expect(await h.row(createId)).toMatchObject({ api: 'anthropic.batches', responseId: batch.id, usageSource: 'final', costPicos: 0n }));
    // Downloaded afterwards by its client: the same results, nothing billed twice.
    for await (const _ of await client.messages.batches.results(batch.id)) void _;
    await new Promise((r) => setTimeout(r, 300));
    expect((await h.rows()).filter((r) => r.api === 'anthropic.batch_message')).toHaveLength(2);
    expect(await spentOn(h.tollgate, budget)).toBe(STANDARD + STANDARD);
    // Asked about no more once billed.
    const lookups = h.fake.requests.filter((r) => r.route === 'anthropic.batches.retrieve').length;
    await new Promise((r) => setTimeout(r, 400));
    expect(h.fake.requests.filter((r) => r.route === 'anthropic.batches.retrieve').length).toBe(lookups);
  });
});
