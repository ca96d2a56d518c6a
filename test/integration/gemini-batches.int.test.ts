import { ApiError, GoogleGenAI } from '@google/genai';
import OpenAI, { toFile } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { LedgerRow } from '../../src/core/ledger-row.js';
import type { CreatedKey } from '../../src/identity/key-service.js';
import { batchResultId } from '../../src/metering/batch-results.js';
import { createPricer } from '../../src/pricing/index.js';
import type { Storage } from '../../src/storage/ports.js';
import { type Harness, counterOn, defaultProviders, eventually, startHarness, testBudget } from '../support/harness.js';
import { routingFrom } from '../support/routing.js';
import { harnessEngines, refusedUnsent, teamKeys } from '../support/team-storage.js';

/** Each succeeded request's usage: 140 prompt tokens (40 of them cached), 30 visible and 20 thought. */
const USAGE = { input: 100, cacheRead: 40, output: 50, reasoning: 20 };
const TOKENS = { inputTokens: 140, cacheReadTokens: 40, outputTokens: 50, reasoningTokens: 20 };
/**
 * gemini-2.5-flash in the catalog: $0.30 input, $0.03 cached, $2.50 output (thoughts included) a million:
 * 100 × 300,000 + 40 × 30,000 + 50 × 2,500,000 = 156,200,000 picos standard; the batch price is half.
 */
const BATCH_COST = 156_200_000n / 2n;

/** One OpenAI batch request, for an OpenAI client beside the Gemini one. */
const OPENAI_INPUT = JSON.stringify({ custom_id: 'ok-1', method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] } }) + '\n';

const src = [
  { contents: 'one', metadata: { key: 'ok-1' } },
  { contents: 'two', metadata: { key: 'err-2' } },
  { contents: 'three', metadata: { key: 'ok-3' } },
];

/**
 * Gemini's Batch API through @google/genai and the gateway, on each storage engine: alice (team
 * platform) makes batches; carol (platform) shares them; bob (team data) is told they do not exist.
 */
describe.each(harnessEngines('gembatch'))('Gemini batches through @google/genai (%s)', (_, storage: (() => Promise<Storage>) | undefined) => {
  let h: Harness;
  let carol: CreatedKey;
  let bob: CreatedKey;
  afterEach(() => h.close());
  const start = async (o: Parameters<typeof startHarness>[0] = {}) => {
    h = await startHarness({ price: createPricer(), storage, ...o });
    ({ carol, bob } = await teamKeys(h));
    h.fake.setDefault({ usage: USAGE });
  };
  const ai = (key: string) => new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: h.url } });
  const billed = async (n: number) =>
    eventually(async () => {
      const rows = (await h.rows()).filter((r) => r.api === 'gemini.batch_request');
      expect(rows).toHaveLength(n);
      return rows;
    });
  const settle = () => new Promise((r) => setTimeout(r, 200));
  /** A batch's input file, `{key, request}` lines, uploaded through the gateway's Files API by `key`, whose file it is. */
  const upload = async (key: CreatedKey, keys: string[]) => {
    const lines = keys.map((k) => JSON.stringify({ key: k, request: { contents: [{ role: 'user', parts: [{ text: k }] }] } }));
    const file = await ai(key.key).files.upload({ file: new Blob([lines.join('\n')], { type: 'application/jsonl' }), config: { mimeType: 'application/jsonl' } });
    return { name: file.name!, uri: file.uri! };
  };

  it('create with inline requests, poll to completion: each succeeded request billed once to the creator at half the catalog price, the failed one not at all', async () => {
    await start();
    const job = await ai(h.key.key).batches.create({ model: 'gemini-2.5-flash', src, config: { displayName: 'nightly' } });
    expect(job).toMatchObject({ state: 'JOB_STATE_PENDING', displayName: 'nightly', model: 'models/gemini-2.5-flash' });
    expect(job.name).toMatch(/^batches\//);
    const [create] = h.fake.requests.filter((r) => r.route === 'gemini.batches.create');
    expect(create).toMatchObject({ path: '/v1beta/models/gemini-2.5-flash:batchGenerateContent' });
    expect(create!.headers['x-goog-api-key']).toBe('gm-upstream');
    expect(create!.json).toMatchObject({ batch: { displayName: 'nightly', inputConfig: { requests: { requests: [{ metadata: { key: 'ok-1' } }, { metadata: { key: 'err-2' } }, { metadata: { key: 'ok-3' } }] } } } });

    // Polled by carol, of the same team: alice, who made it, pays.
    expect((await ai(carol.key).batches.get({ name: job.name! })).state).toBe('JOB_STATE_RUNNING');
    await settle();
    expect((await h.rows()).filter((r) => r.api === 'gemini.batch_request')).toEqual([]);
    const done = await ai(carol.key).batches.get({ name: job.name! });
    expect(done.state).toBe('JOB_STATE_SUCCEEDED');
    expect(done.dest?.inlinedResponses?.map((r) => (r.error ? 'error' : r.response?.usageMetadata?.promptTokenCount))).toEqual([140, 'error', 140]);
    const rows = await billed(2);
    expect(rows.map((r) => r.id).sort()).toEqual([batchResultId(job.name!, '0'), batchResultId(job.name!, '2')].sort());
    for (const r of rows) {
      expect(r).toMatchObject({
        ...TOKENS,
        api: 'gemini.batch_request',
        provider: 'gemini',
        model: 'gemini-2.5-flash',
        serviceTier: 'batch',
        user: 'alice',
        team: 'platform',
        project: 'tollgate',
        keyId: h.key.id,
        status: 200,
        outcome: 'ok',
        usageSource: 'final',
        costPicos: BATCH_COST,
        unpriced: false,
      });
      expect(r.tags).toMatchObject({ batch_id: job.name, custom_id: r.id === batchResultId(job.name!, '0') ? '0' : '2' });
    }
    // Looked up again, and listed: nothing billed twice.
    await ai(h.key.key).batches.get({ name: job.name! });
    for await (const _ of await ai(h.key.key).batches.list()) void _;
    await settle();
    const all = await h.rows();
    expect(all.filter((r) => r.api === 'gemini.batch_request')).toHaveLength(2);
    // The batch's own requests are free rows; its creation is marked billed, so the sweep leaves it.
    const own = all.filter((r) => r.api === 'gemini.batches');
    expect(own.map((r) => [r.status, r.costPicos, r.keyId])).toEqual([[200, 0n, h.key.id], [200, 0n, carol.id], [200, 0n, carol.id], [200, 0n, h.key.id], [200, 0n, h.key.id]]);
    expect(own[0]).toMatchObject({ model: 'gemini-2.5-flash', responseId: job.name, usageSource: 'final' });
  });

  it('an embeddings batch (createEmbeddings): each embedding billed at half the catalog price on its tokenCount', async () => {
    await start();
    const job = await ai(h.key.key).batches.createEmbeddings({ model: 'gemini-embedding-001', src: { inlinedRequests: { contents: ['the first text to embed', 'a second'] } } });
    const [create] = h.fake.requests.filter((r) => r.route === 'gemini.batches.create_embeddings');
    expect(create!.path).toBe('/v1beta/models/gemini-embedding-001:asyncBatchEmbedContent');
    const requests = (create!.json as { batch: { inputConfig: { requests: { requests: { request: unknown }[] } } } }).batch.inputConfig.requests.requests;
    await ai(h.key.key).batches.get({ name: job.name! });
    const done = await ai(h.key.key).batches.get({ name: job.name! });
    expect(done.dest?.inlinedEmbedContentResponses).toHaveLength(2);
    const rows = await billed(2);
    // The fake counts a request's JSON bytes / 4; gemini-embedding-001 is $0.15 a million, 75,000 picos a token at the batch price.
    const tokens = requests.map((r) => Math.ceil(Buffer.byteLength(JSON.stringify(r.request)) / 4));
    expect(rows.map((r) => [r.tags.custom_id, r.model, r.inputTokens, r.outputTokens, r.costPicos]).sort()).toEqual(tokens.map((t, i) => [String(i), 'gemini-embedding-001', t, 0, BigInt(t) * 75_000n]));
  });

  it('reserves a batch of inline requests at the batch price (half) on its creator’s budgets: one that could cost more than the room is refused in Gemini’s format and never sent', async () => {
    const budget = testBudget({ scope: 'team:platform', window: 'day', limit_usd: '0.2' });
    await start({ policy: { rules: { budgets: [budget], rateLimits: [], modelPolicies: [] } } });
    const requests = (maxOutputTokens: number, n: number) => Array.from({ length: n }, (_, i) => ({ contents: `question ${i}`, config: { maxOutputTokens } }));
    // 100,000 output tokens of gemini-2.5-flash: $0.25 at the standard price, which $0.20 would refuse; $0.125 at the batch price. Three: $0.375.
    const err = (await ai(carol.key).batches.create({ model: 'gemini-2.5-flash', src: requests(100_000, 3) }).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(402);
    expect(JSON.parse(err.message)).toMatchObject({ error: { code: 402, status: 'RESOURCE_EXHAUSTED', message: expect.stringMatching(/^This batch could cost more than the daily budget for team:platform allows in total .* at the batch price\)/) } });
    expect(h.fake.requests.filter((r) => r.route === 'gemini.batches.create')).toHaveLength(0);
    const job = await ai(carol.key).batches.create({ model: 'gemini-2.5-flash', src: requests(100_000, 1) });
    expect(job.name).toMatch(/^batches\//);
    // Another team's budget is not this one: bob's batch goes through whatever it could cost.
    await ai(bob.key).batches.create({ model: 'gemini-2.5-flash', src: requests(100_000, 3) });
    const rows = await eventually(async () => {
      const all = (await h.rows()).filter((r) => r.api === 'gemini.batches');
      expect(all).toHaveLength(3);
      return all;
    });
    expect(rows.map((r) => [r.keyId, r.status, r.outcome, r.errorType])).toEqual([
      [carol.id, 402, 'rejected', 'budget_exceeded'],
      [carol.id, 200, 'ok', null],
      [bob.id, 200, 'ok', null],
    ]);
    // Held while the creation ran, let go once it is recorded: the requests are charged as their results are billed.
    await eventually(async () => expect(await counterOn(h.tollgate, budget)).toMatchObject({ spent: 0n, held: 0n }));
  });

  it('refuses another team a batch with NOT_FOUND and nothing upstream, lists each team its own, cancels and deletes for the creator', async () => {
    await start();
    const mine = await ai(h.key.key).batches.create({ model: 'gemini-2.5-flash', src: src.slice(0, 1) });
    const theirs = await ai(bob.key).batches.create({ model: 'gemini-2.5-flash', src: src.slice(0, 1) });
    const cache = await ai(h.key.key).caches.create({ model: 'gemini-2.5-flash', config: { contents: 'a long manual' } });
    const input = await upload(h.key, ['ok-a']);
    await h.mark();
    const refusals = [
      () => ai(bob.key).batches.get({ name: mine.name! }),
      () => ai(bob.key).batches.cancel({ name: mine.name! }),
      () => ai(bob.key).batches.delete({ name: mine.name! }),
      // Nor may a batch read another team's input file, or a request of it another team's file or cache.
      () => ai(bob.key).batches.create({ model: 'gemini-2.5-flash', src: input.name }),
      () => ai(bob.key).batches.create({ model: 'gemini-2.5-flash', src: [{ contents: [{ role: 'user', parts: [{ fileData: { fileUri: input.uri, mimeType: 'application/jsonl' } }] }] }] }),
      () => ai(bob.key).batches.create({ model: 'gemini-2.5-flash', src: [{ contents: 'hi', config: { cachedContent: cache.name! } }] }),
    ];
    for (const refused of refusals) {
      const err = await refusedUnsent(h, refused, ApiError);
      expect(err.status).toBe(404);
      expect(JSON.parse(err.message)).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
    }
    for (const r of await h.rows()) expect(r).toMatchObject({ api: 'gemini.batches', keyId: bob.id, status: 404, outcome: 'rejected', errorType: 'object_not_owned', costPicos: 0n });

    const listed = async (key: string) => {
      const out: string[] = [];
      // Every item the SDK's pager yields is a batch: no page token leads to a page the gateway would leave empty.
      for await (const b of await ai(key).batches.list({ config: { pageSize: 1 } })) out.push(b.name!);
      return out;
    };
    expect(await listed(h.key.key)).toEqual([mine.name]);
    expect(await listed(carol.key)).toEqual([mine.name]);
    expect(await listed(bob.key)).toEqual([theirs.name]);

    await ai(carol.key).batches.cancel({ name: mine.name! });
    expect((await ai(h.key.key).batches.get({ name: mine.name! })).state).toBe('JOB_STATE_CANCELLED');
    await ai(h.key.key).batches.delete({ name: mine.name! });
    // Deleted: forgotten, so refused to every key from then on, without asking the provider.
    await eventually(async () => expect(await h.tollgate.storage.objects.owners([mine.name!])).toEqual(new Map()));
    await expect(ai(h.key.key).batches.get({ name: mine.name! })).rejects.toMatchObject({ status: 404 });
    expect(h.fake.requests.filter((r) => r.route === 'gemini.batches.get')).toHaveLength(1);
  });

  it('bills a batch nobody looks up through the sweep, to its creator: inline results, and results written to a file', async () => {
    await start({ deferredUsage: { intervalMs: 100, maxAgeMs: 3_600_000, firstAskMs: 0, firstWaitMs: 100 } });
    const inline = await ai(h.key.key).batches.create({ model: 'gemini-2.5-flash', src });
    const input = await upload(carol, ['ok-a', 'err-b', 'ok-c', 'ok-d']);
    const fromFile = await ai(carol.key).batches.create({ model: 'gemini-2.5-flash', src: input.name });
    const rows = await billed(5);
    const of = (job: { name?: string }, who: CreatedKey, n: number) => {
      const mine = rows.filter((r) => r.tags.batch_id === job.name);
      expect(mine).toHaveLength(n);
      for (const r of mine) expect(r).toMatchObject({ ...TOKENS, keyId: who.id, model: 'gemini-2.5-flash', costPicos: BATCH_COST, serviceTier: 'batch' });
      return mine.map((r) => r.tags.custom_id).sort();
    };
    expect(of(inline, h.key, 2)).toEqual(['0', '2']);
    expect(of(fromFile, carol, 3)).toEqual(['0', '2', '3']);
    // Asked with the configured key; the results file downloaded from Gemini's media path.
    const asked = h.fake.requests.filter((r) => r.route === 'gemini.batches.get' || r.route === 'gemini.files.download');
    expect(new Set(asked.map((r) => r.headers['x-goog-api-key']))).toEqual(new Set(['gm-upstream']));
    expect(asked.filter((r) => r.route === 'gemini.files.download').map((r) => [r.path, r.query.alt])).toEqual([[`/download/v1beta/files/batch-${fromFile.name!.slice('batches/'.length)}:download`, 'media']]);
    const creations = await eventually(async () => {
      const made = (await h.rows()).filter((r) => r.api === 'gemini.batches');
      expect(made.map((r) => r.usageSource)).toEqual(['final', 'final']);
      return made;
    });
    expect(creations.map((r) => r.responseId)).toEqual([inline.name, fromFile.name]);
    // Looked up afterwards by its client: the same results, nothing billed twice.
    expect((await ai(h.key.key).batches.get({ name: inline.name! })).state).toBe('JOB_STATE_SUCCEEDED');
    await settle();
    expect((await h.rows()).filter((r: LedgerRow) => r.api === 'gemini.batch_request')).toHaveLength(5);
  });
});

describe('a Gemini batch under /v1 (apiVersion v1)', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('is billed by the sweep at v1beta, and its get, list, cancel and delete under /v1 reach Gemini as sent', async () => {
    h = await startHarness({ price: createPricer(), deferredUsage: { intervalMs: 100, maxAgeMs: 3_600_000, firstAskMs: 0, firstWaitMs: 100 } });
    h.fake.setDefault({ usage: USAGE });
    const v1 = new GoogleGenAI({ apiKey: h.key.key, httpOptions: { baseUrl: h.url, apiVersion: 'v1' } });
    const job = await v1.batches.create({ model: 'gemini-2.5-flash', src });
    expect(h.fake.requests[0]!.path).toBe('/v1/models/gemini-2.5-flash:batchGenerateContent');
    const rows = await eventually(async () => {
      const r = (await h.rows()).filter((x) => x.api === 'gemini.batch_request');
      expect(r).toHaveLength(2);
      return r;
    });
    for (const r of rows) expect(r).toMatchObject({ ...TOKENS, keyId: h.key.id, costPicos: BATCH_COST, serviceTier: 'batch', tags: expect.objectContaining({ batch_id: job.name }) });
    expect(h.fake.requests.filter((r) => r.route === 'gemini.batches.get').map((r) => r.path)).toContain(`/v1beta/${job.name}`);
    // `GET /v1/batches/{id}` with `x-goog-api-key`: Gemini's lookup, not OpenAI's Batches route (which answered 401 missing_api_key).
    expect(await v1.batches.get({ name: job.name! })).toMatchObject({ name: job.name, state: 'JOB_STATE_SUCCEEDED' });
    const listed = [];
    for await (const b of await v1.batches.list()) listed.push(b.name);
    expect(listed).toContain(job.name);
    await v1.batches.cancel({ name: job.name! });
    await v1.batches.delete({ name: job.name! });
    const sent = h.fake.requests.filter((r) => r.path.startsWith('/v1/batches'));
    expect(sent.map((r) => [r.route, r.path])).toEqual([
      ['gemini.batches.get', `/v1/${job.name}`],
      ['gemini.batches.list', '/v1/batches'],
      ['gemini.batches.cancel', `/v1/${job.name}:cancel`],
      ['gemini.batches.delete', `/v1/${job.name}`],
    ]);
    const lookups = (await h.rows()).filter((r) => r.api === 'gemini.batches' && r.status === 200);
    // The create and the four lookups, each a free Gemini row of its caller's.
    expect(lookups).toHaveLength(5);
    for (const r of lookups) expect(r).toMatchObject({ provider: 'gemini', keyId: h.key.id, costPicos: 0n });
  });

  it('another team cannot look a /v1 batch up, and an OpenAI client keeps /v1/batches/{id} beside it', async () => {
    h = await startHarness({ price: createPricer() });
    const { bob } = await teamKeys(h);
    h.fake.setDefault({ usage: USAGE });
    const job = await new GoogleGenAI({ apiKey: h.key.key, httpOptions: { baseUrl: h.url, apiVersion: 'v1' } }).batches.create({ model: 'gemini-2.5-flash', src });
    const err = await new GoogleGenAI({ apiKey: bob.key, httpOptions: { baseUrl: h.url, apiVersion: 'v1' } }).batches.get({ name: job.name! }).then(
      () => undefined,
      (e: unknown) => e as ApiError,
    );
    // The owner check of Gemini's batches: Gemini's 404, nothing sent.
    expect(err?.status).toBe(404);
    expect(h.fake.requests.filter((r) => r.path.startsWith('/v1/batches'))).toEqual([]);
    const openai = new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const file = await openai.files.create({ file: await toFile(Buffer.from(OPENAI_INPUT), 'requests.jsonl'), purpose: 'batch' });
    const made = await openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    expect(await openai.batches.retrieve(made.id)).toMatchObject({ object: 'batch', id: made.id });
    expect(h.fake.requests.filter((r) => r.path === `/v1/batches/${made.id}`).map((r) => r.route)).toEqual(['openai.batches.retrieve']);
    expect((await h.rows()).filter((r) => r.api === 'openai.batches').map((r) => r.provider)).toEqual(['openai', 'openai']);
  });
});

describe('Gemini batches with a configured route for every model', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('a batch lives in the account that made it: it is not routed, and its path and body go upstream as sent', async () => {
    h = await startHarness({
      routing: (url) =>
        routingFrom({ routing: { retry: { backoff_ms: 5, per_deployment: 1 }, affinity: { enabled: false } }, routes: [{ model: '*', deployments: [{ provider: 'gemini', name: 'gemini-a', model: 'gemini-other' }] }] }, defaultProviders(url)),
    });
    const job = await new GoogleGenAI({ apiKey: h.key.key, httpOptions: { baseUrl: h.url } }).batches.create({ model: 'gemini-2.5-flash', src: src.slice(0, 1) });
    expect(job.name).toMatch(/^batches\//);
    const [create] = h.fake.requests.filter((r) => r.route === 'gemini.batches.create');
    expect(create!.path).toBe('/v1beta/models/gemini-2.5-flash:batchGenerateContent');
    const [row] = await eventually(async () => {
      const all = await h.rows();
      expect(all).toHaveLength(1);
      return all;
    });
    expect(row).toMatchObject({ api: 'gemini.batches', model: 'gemini-2.5-flash', status: 200, attempts: 1, responseId: job.name });
    expect(row!.attemptLog).toBeUndefined();
  });
});
