import { GoogleGenAI } from '@google/genai';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, eventually, startHarness } from '../support/harness.js';

/**
 * Gemini interactions run in the background (`background: true`): answered `in_progress` without
 * usage, billed on their creation row once seen finished, by the client's own lookup or by the
 * gateway asking Gemini itself.
 */
describe('background interactions', () => {
  let h: Harness;
  afterEach(() => h.close());

  // 140 prompt tokens (40 of them cached), 20 of output and 10 of thinking.
  const USAGE = { input: 100, cacheRead: 40, output: 30, reasoning: 10 };
  const BILLED = { inputTokens: 140, cacheReadTokens: 40, outputTokens: 30, reasoningTokens: 10, usageSource: 'final', costPicos: 440n };
  const start = async (sweep: boolean) => {
    h = await startHarness(sweep ? { deferredUsage: { intervalMs: 100, maxAgeMs: 3_600_000, firstAskMs: 0, firstWaitMs: 100 } } : {});
    h.fake.setDefault({ usage: USAGE });
  };
  const create = async () => {
    const client = new GoogleGenAI({ apiKey: h.key.key, httpOptions: { baseUrl: h.url } });
    const made = await client.interactions.create({ model: 'gemini-2.5-flash', input: 'Think it over.', background: true });
    expect(made).toMatchObject({ status: 'in_progress' });
    expect(made.usage).toBeUndefined();
    const [row] = await h.rows();
    return { client, made, row: row! };
  };

  it('records the creation without usage, not an estimate, and bills it when a lookup finds it finished; the lookup stays free', async () => {
    await start(false);
    const { client, made, row } = await create();
    expect(row).toMatchObject({ api: 'gemini.interactions', responseId: made.id, usageSource: 'none', inputTokens: 0, outputTokens: 0, costPicos: 0n });
    const done = await client.interactions.get(made.id);
    expect(done).toMatchObject({ status: 'completed', usage: { total_input_tokens: 140 } });
    const billed = await eventually(async () => {
      const r = await h.row(row.id);
      expect(r.usageSource).toBe('final');
      return r;
    }, 5000);
    expect(billed).toMatchObject({ api: 'gemini.interactions', user: h.key.user, ...BILLED });
    const lookup = (await h.rows()).find((r) => r.api === 'gemini.interactions_lookup');
    expect(lookup).toMatchObject({ inputTokens: 0, outputTokens: 0, costPicos: 0n, usageSource: 'none' });
    expect(lookup!.responseId ?? null).toBeNull();
    // Looked up again: billed once.
    await client.interactions.get(made.id);
    await new Promise((r) => setTimeout(r, 300));
    expect(await h.row(row.id)).toMatchObject(BILLED);
  });

  it('bills one nobody looks up, the gateway asking Gemini with the key it holds', async () => {
    await start(true);
    const { made, row } = await create();
    const billed = await eventually(async () => {
      const r = await h.row(row.id);
      expect(r.usageSource).toBe('final');
      return r;
    }, 5000);
    expect(billed).toMatchObject(BILLED);
    const asked = h.fake.requests.filter((r) => r.method === 'GET' && r.path === `/v1beta/interactions/${made.id}`);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked[0]!.headers['x-goog-api-key']).toBe('gm-upstream');
  });
});
