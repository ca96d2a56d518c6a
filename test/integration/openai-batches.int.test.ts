import OpenAI, { toFile } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { LedgerRow } from '../../src/core/ledger-row.js';
import { createKey } from '../../src/identity/key-service.js';
import { batchResultId } from '../../src/metering/batch-results.js';
import { type Harness, type HarnessOptions, eventually, spentOn, startHarness, testBudget, tierPrice } from '../support/harness.js';

/** Three requests: two succeed, `err-2` fails (the fake answers it 400). */
const INPUT = ['ok-1', 'err-2', 'ok-3'].map((id) => JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: id }] } })).join('\n') + '\n';
/** Each succeeded request: 100 uncached input tokens, 40 cached, 50 output; at the test price 140 + 10 × 50 = 640 picos, halved for the batch. */
const USAGE = { input: 100, cacheRead: 40, output: 50 };
const BATCH_COST = 320n;

/**
 * OpenAI's Batch API through the official SDK: files and batches are served as free rows; each
 * succeeded request of a batch is billed from its output file at the batch price (half),
 * whether its client downloads the file or the gateway's sweep reads it.
 */
describe('OpenAI batches through the openai SDK', () => {
  const budget = testBudget({ scope: 'user:alice', window: 'day', limit_usd: 10 });
  let h: Harness;
  afterEach(() => h.close());

  const start = async (o: HarnessOptions = {}) => {
    h = await startHarness({ price: tierPrice, policy: { rules: { budgets: [budget], rateLimits: [], modelPolicies: [] } }, ...o });
    h.fake.setDefault({ usage: USAGE });
    const client = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    // A request admitted first: the budget's counter is live, so batch spend reaches it.
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    return client;
  };
  const spent = () => spentOn(h.tollgate, budget);
  const billed = (rows: LedgerRow[]) => rows.filter((r) => r.api === 'openai.batch_request');
  const submit = async (client: OpenAI) => {
    const file = await client.files.create({ file: await toFile(Buffer.from(INPUT), 'requests.jsonl'), purpose: 'batch' });
    // The upload reached the provider byte for byte.
    expect(h.fake.requests.find((r) => r.route === 'openai.files.create')!.body.includes(Buffer.from(INPUT))).toBe(true);
    const { data: batch, response } = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }).withResponse();
    expect(batch).toMatchObject({ object: 'batch', status: 'validating', input_file_id: file.id });
    return { file, batch, createId: response.headers.get('x-tollgate-request-id')! };
  };

  it('upload, create, retrieve, download: the output file is the fake’s bytes, each succeeded request billed once at the batch price to whoever downloads it', async () => {
    const client = await start();
    const { file, batch } = await submit(client);
    const done = await client.batches.retrieve(batch.id);
    expect(done).toMatchObject({ status: 'completed', output_file_id: expect.stringMatching(/^file-/) });
    expect((await client.files.retrieve(file.id)).purpose).toBe('batch');
    const text = await (await client.files.content(done.output_file_id!)).text();
    // The output file's download (creating the batch read its input file too, to check it against the budget).
    expect(text).toBe(h.fake.requests.find((r) => r.route === 'openai.files.content' && r.path.includes(done.output_file_id!))!.sent.toString('utf8'));
    expect(text.trim().split('\n')).toHaveLength(3);
    // Downloaded again: recorded once.
    await (await client.files.content(done.output_file_id!)).text();
    const rows = await eventually(async () => {
      const all = await h.rows();
      expect(billed(all)).toHaveLength(2);
      return all;
    });
    expect(billed(rows).map((r) => r.id).sort()).toEqual([batchResultId(done.output_file_id!, 'ok-1'), batchResultId(done.output_file_id!, 'ok-3')].sort());
    for (const r of billed(rows)) {
      expect(r).toMatchObject({ api: 'openai.batch_request', provider: 'openai', model: 'gpt-4o-mini', user: 'alice', team: 'platform', keyId: h.key.id, inputTokens: 140, cacheReadTokens: 40, outputTokens: 50, usageSource: 'final', costPicos: BATCH_COST, serviceTier: 'batch' });
      expect(r.tags).toMatchObject({ output_file_id: done.output_file_id });
    }
    const free = rows.filter((r) => ['openai.files', 'openai.file_content', 'openai.batches'].includes(r.api));
    expect(free.map((r) => r.api).sort()).toEqual(['openai.batches', 'openai.batches', 'openai.file_content', 'openai.file_content', 'openai.files', 'openai.files']);
    for (const r of free) expect(r).toMatchObject({ costPicos: 0n, status: 200 });
    await eventually(async () => expect(await spent()).toBe(640n + 2n * BATCH_COST));
  });

  it('another key downloads the output file first: the requests are billed to the batch’s creator, tagged with the batch, and the creation row is billed', async () => {
    // Of another team: it may read the file only where stored objects are shared.
    const client = await start({ auth: { storedObjects: 'shared' } });
    const { batch, createId } = await submit(client);
    const done = await client.batches.retrieve(batch.id);
    const bob = await createKey(h.tollgate.storage.keys, { user: 'bob', team: 'data', project: null });
    const other = new OpenAI({ apiKey: bob.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    await (await other.files.content(done.output_file_id!)).text();
    const rows = await eventually(async () => {
      const all = await h.rows();
      expect(billed(all)).toHaveLength(2);
      expect(all.find((r) => r.id === createId)).toMatchObject({ usageSource: 'final' });
      return all;
    });
    for (const r of billed(rows)) {
      expect(r).toMatchObject({ user: 'alice', team: 'platform', keyId: h.key.id, costPicos: BATCH_COST });
      expect(r.tags).toMatchObject({ output_file_id: done.output_file_id, batch_id: batch.id });
    }
  });

  it('a batch nobody downloads is billed by the sweep, to its creator, tagged with the batch; a later download adds nothing', async () => {
    const client = await start({ deferredUsage: { intervalMs: 100, maxAgeMs: 3_600_000, firstAskMs: 0, firstWaitMs: 100 } });
    const { batch, createId } = await submit(client);
    const rows = await eventually(async () => {
      const all = billed(await h.rows());
      expect(all).toHaveLength(2);
      return all;
    }, 5000);
    for (const r of rows) expect(r).toMatchObject({ user: 'alice', costPicos: BATCH_COST, tags: { batch_id: batch.id } });
    // Asked with the configured key, never the client's.
    expect(h.fake.requests.filter((r) => r.route === 'openai.batches.retrieve').map((r) => r.headers.authorization)).toContain('Bearer sk-upstream-openai');
    await eventually(async () => expect(await h.row(createId)).toMatchObject({ api: 'openai.batches', responseId: batch.id, usageSource: 'final', costPicos: 0n }));
    const done = await client.batches.retrieve(batch.id);
    await (await client.files.content(done.output_file_id!)).text();
    await new Promise((r) => setTimeout(r, 300));
    expect(billed(await h.rows())).toHaveLength(2);
    expect(await spent()).toBe(640n + 2n * BATCH_COST);
  });

  it('a request that says it is Anthropic’s goes to Anthropic’s Files API, not OpenAI’s', async () => {
    await start();
    const res = await fetch(`${h.url}/v1/files`, { headers: { 'x-api-key': h.key.key, 'anthropic-version': '2023-06-01' } });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(h.fake.requests.at(-1)).toMatchObject({ route: 'anthropic.files.list', headers: { 'x-api-key': 'sk-ant-upstream' } });
    expect((await h.row(res.headers.get('x-tollgate-request-id')!)).api).toBe('anthropic.files');
  });
});
