import { GoogleGenAI } from '@google/genai';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { FREE_ROW, sameBytes } from '../support/sdk-bytes.js';

/** Gemini's SDK calls besides generation (models, token counts, embeddings, caches): forwarded as sent, one row each. */
const h = useHarness();


describe('Gemini models, token counts and embeddings through Tollgate', () => {
  const client = () => new GoogleGenAI({ apiKey: h.key.key, httpOptions: { baseUrl: h.url } });
  const post = (path: string, body: unknown) =>
    fetch(`${h.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': h.key.key }, body: JSON.stringify(body) });

  it('models.countTokens: the count comes back, the row costs nothing', async () => {
    h.fake.script({ usage: { input: 42 } });
    const r = await client().models.countTokens({ model: 'gemini-2.5-flash', contents: 'count me' });
    expect(r.totalTokens).toBe(42);
    const [up] = await h.fake.waitForRequests(1);
    expect(up).toMatchObject({ path: '/v1beta/models/gemini-2.5-flash:countTokens', route: 'gemini.count_tokens' });
    expect(up!.headers['x-goog-api-key']).toBe('gm-upstream');
    const [row] = await h.rows();
    expect(row).toMatchObject({ ...FREE_ROW, api: 'gemini.count_tokens', provider: 'gemini', model: 'gemini-2.5-flash', client: 'genai-sdk' });
  });

  it('countTokens with ?alt=sse keeps the query and the bytes', async () => {
    const res = await post('/v1beta/models/gemini-2.5-flash:countTokens?alt=sse', { contents: [{ role: 'user', parts: [{ text: 'x' }] }] });
    const up = await sameBytes(h, res);
    expect(up.query.alt).toBe('sse');
    const [row] = await h.rows();
    expect(row).toMatchObject({ ...FREE_ROW, api: 'gemini.count_tokens' });
  });

  it('models.embedContent (the SDK calls batchEmbedContents): no token counts come back, so the input is estimated and priced', async () => {
    const r = await client().models.embedContent({ model: 'gemini-embedding-001', contents: ['first text to embed', 'second'] });
    expect(r.embeddings).toHaveLength(2);
    const [up] = await h.fake.waitForRequests(1);
    expect(up).toMatchObject({ path: '/v1beta/models/gemini-embedding-001:batchEmbedContents', route: 'gemini.batch_embed' });
    const [row] = await h.rows();
    expect(row).toMatchObject({ api: 'gemini.embed', model: 'gemini-embedding-001', outcome: 'ok', usageSource: 'estimated', outputTokens: 0, unpriced: false });
    expect(row!.inputTokens).toBeGreaterThan(0);
    // The test price: a pico per input token.
    expect(row!.costPicos).toBe(BigInt(row!.inputTokens));
  });

  it(':embedContent, byte for byte; a usageMetadata the provider does send is used as is', async () => {
    const res = await post('/v1beta/models/gemini-embedding-001:embedContent', { content: { parts: [{ text: 'embed me' }] } });
    await sameBytes(h, res);
    const [row] = await h.rows();
    expect(row).toMatchObject({ api: 'gemini.embed', usageSource: 'estimated', model: 'gemini-embedding-001' });
    h.fake.reset();
    await h.mark();
    h.fake.script({ body: { embedding: { values: [0.5] }, usageMetadata: { promptTokenCount: 7, totalTokenCount: 7 } } });
    const r2 = await post('/v1beta/models/gemini-embedding-001:embedContent', { content: { parts: [{ text: 'embed me' }] } });
    expect(r2.status).toBe(200);
    await r2.arrayBuffer();
    const [row2] = await h.rows();
    expect(row2).toMatchObject({ api: 'gemini.embed', usageSource: 'final', inputTokens: 7, costPicos: 7n });
  });

  it('caches.create, get, list, update, delete: the creation records the tokens cached, unpriced (storage is billed by the hour); the rest cost nothing', async () => {
    h.fake.script({ usage: { input: 48_000 } });
    const created = await client().caches.create({ model: 'gemini-2.5-flash', config: { contents: [{ role: 'user', parts: [{ text: 'a long manual' }] }], systemInstruction: 'You answer from the manual.', ttl: '600s', displayName: 'manual' } });
    expect(created.name).toMatch(/^cachedContents\//);
    expect(created.usageMetadata?.totalTokenCount).toBe(48_000);
    const got = await client().caches.get({ name: created.name! });
    expect(got.displayName).toBe('manual');
    const names: string[] = [];
    for await (const c of await client().caches.list()) names.push(c.name ?? '');
    expect(names).toContain(created.name);
    const updated = await client().caches.update({ name: created.name!, config: { ttl: '7200s' } });
    expect(Date.parse(updated.expireTime!)).toBeGreaterThan(Date.parse(created.expireTime!));
    // The cache used by a generateContent: its tokens come back as cached content, priced as cache reads.
    h.fake.script({ usage: { input: 100, cacheRead: 48_000, output: 10 } });
    await client().models.generateContent({ model: 'gemini-2.5-flash', contents: 'What does chapter 2 say?', config: { cachedContent: created.name! } });
    await client().caches.delete({ name: created.name! });
    const ups = await h.fake.waitForRequests(6);
    expect(ups.map((u) => [u.method, u.route])).toEqual([
      ['POST', 'gemini.caches.create'],
      ['GET', 'gemini.caches.get'],
      ['GET', 'gemini.caches.list'],
      ['PATCH', 'gemini.caches.update'],
      ['POST', 'gemini.generate'],
      ['DELETE', 'gemini.caches.delete'],
    ]);
    expect(ups[0]!.headers['x-goog-api-key']).toBe('gm-upstream');
    expect(ups[0]!.json).toMatchObject({ model: 'models/gemini-2.5-flash', ttl: '600s' });
    const rows = await h.rows();
    expect(rows[0]).toMatchObject({ api: 'gemini.caches', provider: 'gemini', model: 'gemini-2.5-flash', inputTokens: 48_000, cacheWriteTokens: 48_000, usageSource: 'final', costPicos: null, unpriced: true, outcome: 'ok', responseId: created.name });
    expect(rows[4]).toMatchObject({ api: 'gemini.generate', cacheReadTokens: 48_000, unpriced: false });
    expect([...rows.slice(1, 4), rows[5]!].map((r) => [r.api, r.costPicos, r.unpriced, r.outcome])).toEqual(Array.from({ length: 4 }, () => ['gemini.caches_lookup', 0n, false, 'ok']));
    // Deleted: no key may name it any more, as the provider would no longer have it.
    await expect(client().models.generateContent({ model: 'gemini-2.5-flash', contents: 'again', config: { cachedContent: created.name! } })).rejects.toMatchObject({ status: 404 });
  });

  it('models.list and models.get: Google’s answer, recorded as gemini.models at no cost', async () => {
    const names: string[] = [];
    for await (const m of await client().models.list()) names.push(m.name ?? '');
    expect(names).toContain('models/gemini-2.5-flash');
    const m = await client().models.get({ model: 'gemini-2.5-pro' });
    expect(m.displayName).toBe('Gemini 2.5 Pro');
    const ups = await h.fake.waitForRequests(2);
    expect(ups.map((u) => [u.method, u.path])).toEqual([
      ['GET', '/v1beta/models'],
      ['GET', '/v1beta/models/gemini-2.5-pro'],
    ]);
    const rows = await h.rows();
    expect(rows.map((r) => [r.api, r.modelRequested, r.costPicos, r.outcome])).toEqual([
      ['gemini.models', '', 0n, 'ok'],
      ['gemini.models', 'gemini-2.5-pro', 0n, 'ok'],
    ]);
  });

  it('models/ and tunedModels/ names: the SDK’s paths are served, a tuned model is recorded by its full name', async () => {
    const m = await client().models.get({ model: 'models/gemini-2.5-flash' });
    expect(m.name).toBe('models/gemini-2.5-flash');
    const tuned = await client().models.list({ config: { queryBase: false } });
    expect(tuned.page).toEqual([]);
    await client().models.generateContent({ model: 'tunedModels/my-tuned', contents: 'hi' });
    const ups = await h.fake.waitForRequests(3);
    expect(ups.map((u) => u.path)).toEqual(['/v1beta/models/gemini-2.5-flash', '/v1beta/tunedModels', '/v1beta/tunedModels/my-tuned:generateContent']);
    const rows = await h.rows();
    expect(rows.map((r) => [r.api, r.modelRequested])).toEqual([
      ['gemini.models', 'gemini-2.5-flash'],
      ['gemini.models', ''],
      ['gemini.generate', 'tunedModels/my-tuned'],
    ]);
  });
});
