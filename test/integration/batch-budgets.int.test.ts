import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { toFile } from 'openai';
import { describe, expect, it } from 'vitest';
import type { LedgerRow } from '../../src/core/ledger-row.js';
import { counterOn, eventually, spentOn, testBudget, tierPrice, useHarness } from '../support/harness.js';

/**
 * A batch's creation is checked against budgets: its requests, each estimated as it would be
 * sent alone, at the batch price (half), held while the creation runs. At the test price
 * (1 pico an input token, 10 an output token), a request with max_tokens 100,000 is estimated
 * at 1,000,000 picos and more, so 500,000 and more at the batch price.
 */
describe('batch creations against budgets', () => {
  /** 1,000,000 picos a day. */
  const budget = testBudget({ scope: 'user:alice', window: 'day', limit_usd: '0.000001' });
  // Input files named by batches here are made at the fake or not at all: every key may name any (auth.stored_objects: shared).
  const h = useHarness({ price: tierPrice, auth: { storedObjects: 'shared' }, policy: { rules: { budgets: [budget], rateLimits: [], modelPolicies: [] } } });
  const held = async () => (await counterOn(h.tollgate, budget)).held;
  const creations = (rows: LedgerRow[], api: string) => rows.filter((r) => r.api === api);
  const messages = (maxTokens: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({ custom_id: `r-${i}`, params: { model: 'claude-sonnet-5-5', max_tokens: maxTokens, messages: [{ role: 'user' as const, content: `question ${i}` }] } }));

  it('Anthropic: a Message Batch that could cost more than the room left is refused in Anthropic’s format and never sent; one that fits is created and holds nothing once created', async () => {
    const client = new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
    const err = (await client.messages.batches.create({ requests: messages(100_000, 3) }).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(err.status).toBe(402);
    expect(err.error).toMatchObject({ type: 'error', error: { type: 'budget_exceeded', message: expect.stringMatching(/^This batch could cost more than the daily budget for user:alice allows in total .* at the batch price\)/) } });
    expect(h.fake.requests.filter((r) => r.route === 'anthropic.batches.create')).toHaveLength(0);

    const { data: batch, response } = await client.messages.batches.create({ requests: messages(64, 3) }).withResponse();
    expect(batch.id).toMatch(/^msgbatch_/);
    expect(response.headers.get('x-tollgate-budget-remaining')).toMatch(/; scope=user:alice; window=day; resets=/);
    const rows = await eventually(async () => {
      const all = creations(await h.rows(), 'anthropic.batches');
      expect(all).toHaveLength(2);
      return all;
    });
    expect(rows.map((r) => [r.status, r.outcome, r.errorType])).toEqual([
      [402, 'rejected', 'budget_exceeded'],
      [200, 'ok', null],
    ]);
    await eventually(async () => expect(await held()).toBe(0n));
    expect(await spentOn(h.tollgate, budget)).toBe(0n);
  });

  it('OpenAI: the input file is read from the provider to estimate the batch; one too large is refused, one that fits is created', async () => {
    const client = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const upload = async (maxTokens: number) => {
      const lines = ['a', 'b', 'c'].map((id) => JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', max_completion_tokens: maxTokens, messages: [{ role: 'user', content: id }] } }));
      return client.files.create({ file: await toFile(Buffer.from(lines.join('\n') + '\n'), 'requests.jsonl'), purpose: 'batch' });
    };
    const big = await upload(100_000);
    const err = (await client.batches.create({ input_file_id: big.id, endpoint: '/v1/chat/completions', completion_window: '24h' }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.status).toBe(402);
    expect(err.error).toMatchObject({ type: 'budget_exceeded', message: expect.stringMatching(/^This batch could cost more than the daily budget/) });
    expect(h.fake.requests.filter((r) => r.route === 'openai.files.content').map((r) => r.path)).toEqual([`/v1/files/${big.id}/content`]);
    expect(h.fake.requests.filter((r) => r.route === 'openai.batches.create')).toHaveLength(0);

    const small = await upload(64);
    const batch = await client.batches.create({ input_file_id: small.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    expect(batch).toMatchObject({ object: 'batch', input_file_id: small.id });
    await eventually(async () => expect(await held()).toBe(0n));
  });

  it('OpenAI: each request of a batch counts every choice it asks for (n)', async () => {
    const client = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const upload = async (n: number) => {
      const lines = ['a', 'b', 'c'].map((id) => JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', max_completion_tokens: 1000, n, messages: [{ role: 'user', content: id }] } }));
      return client.files.create({ file: await toFile(Buffer.from(lines.join('\n') + '\n'), 'requests.jsonl'), purpose: 'batch' });
    };
    // 3 requests of 128 choices of 1,000 tokens: 3,840,000 picos of output, 1,920,000 at the batch price; one choice each fits.
    const many = await upload(128);
    const err = (await client.batches.create({ input_file_id: many.id, endpoint: '/v1/chat/completions', completion_window: '24h' }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.status).toBe(402);
    expect(h.fake.requests.filter((r) => r.route === 'openai.batches.create')).toHaveLength(0);
    const one = await upload(1);
    await client.batches.create({ input_file_id: one.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    await eventually(async () => expect(await held()).toBe(0n));
  });

  it('OpenAI: an input file the provider fails to serve refuses the creation with a 503 to retry, in OpenAI’s format', async () => {
    const client = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const file = await client.files.create({ file: await toFile(Buffer.from(JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [] } }) + '\n'), 'r.jsonl'), purpose: 'batch' });
    h.fake.script({ match: (r) => r.route === 'openai.files.content', status: 503 });
    const err = (await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(503);
    expect(err.headers?.get('retry-after')).toBe('5');
    expect(err.message).toMatch(new RegExp(`could not read the batch's input file ${file.id} to check it against your budgets \\(HTTP 503\\)`));
    expect(h.fake.requests.filter((r) => r.route === 'openai.batches.create')).toHaveLength(0);
  });

  it('OpenAI: an input_file_id of . or .. is refused with a 400, not read (its URL resolved to /v1/content, asked with the provider key)', async () => {
    const client = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    for (const id of ['..', '.']) {
      const err = (await client.batches.create({ input_file_id: id, endpoint: '/v1/chat/completions', completion_window: '24h' }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect(err.status).toBe(400);
      expect(err.error).toMatchObject({ code: 'invalid_request', message: `input_file_id "${id}" is not a file id.` });
    }
    expect(h.fake.requests).toHaveLength(0);
  });
});
