import { afterEach, describe, expect, it } from 'vitest';
import { usd } from '../../src/core/money.js';
import { createPricer } from '../../src/pricing/index.js';
import { type Harness, counterOn, eventually, startHarness, testBudget } from '../support/harness.js';

// What a request declares it will be billed for beyond its body (server-side tools, a Gemini cache),
// reserved before it goes upstream, through the gateway with the catalog's prices and a fake upstream.

const budget = testBudget({ scope: 'user:alice', window: 'day', limit_usd: '1.20' });
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

// A cache made outside the gateway is usable here (auth.stored_objects: shared): this file is about the
// reserve, and under the default (team) such a cache is refused before any budget is asked.
async function start(): Promise<Harness> {
  h = await startHarness({ price: createPricer(), auth: { storedObjects: 'shared' }, policy: { rules: { budgets: [budget], rateLimits: [], modelPolicies: [] } } });
  return h;
}

function post(h: Harness, path: string, body: unknown): Promise<Response> {
  const headers = { 'x-api-key': h.key.key, 'x-goog-api-key': h.key.key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' };
  return fetch(`${h.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
}

describe('a budget under parallel web-search requests', () => {
  it('holds: the requests its room covers at five searches each are let in, the next refused while they run', async () => {
    const h = await start();
    // claude-sonnet-4-5 searching five times, as the provider bills it: 40,000 tokens in (the results
    // among them) at $3/M, 100 out at $15/M, 5 searches at $10/1,000: $0.1715 each, so eight cost $1.372.
    const billed = { input: 40_000, output: 100, webSearches: 5 };
    const ask = { model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'What happened today?' }], tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 5 }] };
    // Each is reserved at its body's bytes and 5 × 10,000 result tokens at $6/M (a one-hour cache write, the dearest
    // input), 100 out and 5 searches: about $0.353, so $1.20 holds three. The body alone (about $0.0026) let in all eight.
    let letGo!: () => void;
    const until = new Promise<void>((resolve) => (letGo = resolve));
    h.fake.script({ usage: billed, until, times: 3 });
    h.fake.setDefault({ usage: billed });
    const first = [post(h, '/v1/messages', ask), post(h, '/v1/messages', ask), post(h, '/v1/messages', ask)];
    // All three admitted and upstream, held there.
    await eventually(() => expect(h.fake.requests).toHaveLength(3));
    const more = await Promise.all(Array.from({ length: 5 }, () => post(h, '/v1/messages', ask)));
    expect(more.map((r) => r.status)).toEqual([402, 402, 402, 402, 402]);
    const refusal = (await more[0]!.json()) as { error: { message: string; tollgate: Record<string, unknown> } };
    expect(refusal.error.message).toContain('most of them (50,000) for the results of the 5 uses counted for its server-side tools, 5 of them web searches billed by the search');
    expect(refusal.error.tollgate).toMatchObject({ request_server_tool_uses: 5, request_server_tool_tokens: 50_000, request_web_searches: 5 });
    letGo();
    expect((await Promise.all(first)).map((r) => r.status)).toEqual([200, 200, 200]);
    const rows = (await h.rows()).filter((r) => r.outcome === 'ok');
    expect(rows.map((r) => r.costPicos)).toEqual([171_500_000_000n, 171_500_000_000n, 171_500_000_000n]);
    await eventually(async () => expect(await counterOn(h.tollgate, budget)).toMatchObject({ spent: 514_500_000_000n, held: 0n }));
    expect(8n * 171_500_000_000n).toBeGreaterThan(usd('1.20'));
  });
});

describe('a budget under parallel requests with a code interpreter', () => {
  it('holds their containers’ fees at policy.server_tool_fee_usd, which the catalog does not price: fewer are let in while they run', async () => {
    const h = await start();
    // gpt-4.1 with a code interpreter: each reserved at its body, 5 uses × 10,000 result tokens at $2/M ($0.10), 100 out
    // at $8/M and 5 uses at the $0.035 allowance ($0.175): about $0.276, so $1.20 holds four. Without the allowance
    // (about $0.101 each) it held eleven, while OpenAI bills a container $0.03 beside the tokens.
    const ask = { model: 'gpt-4.1', max_output_tokens: 100, input: 'Plot the primes below 100.', tools: [{ type: 'code_interpreter', container: { type: 'auto' } }] };
    const billed = { input: 2_000, output: 100 };
    const respond = () => fetch(`${h.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' }, body: JSON.stringify(ask) });
    let letGo!: () => void;
    const until = new Promise<void>((resolve) => (letGo = resolve));
    h.fake.script({ usage: billed, until, times: 4 });
    h.fake.setDefault({ usage: billed });
    const first = Array.from({ length: 4 }, respond);
    await eventually(() => expect(h.fake.requests).toHaveLength(4));
    const more = await Promise.all(Array.from({ length: 3 }, respond));
    expect(more.map((r) => r.status)).toEqual([402, 402, 402]);
    const refusal = (await more[0]!.json()) as { error: { message: string; tollgate: Record<string, unknown> } };
    expect(refusal.error.tollgate).toMatchObject({ request_server_tool_uses: 5, request_server_tool_tokens: 50_000, request_web_searches: 0, request_tool_fee_uses: 5 });
    letGo();
    expect((await Promise.all(first)).map((r) => r.status)).toEqual([200, 200, 200, 200]);
    // Settled at what the ledger charges (the tokens: 2,000 in at $2/M, 100 out at $8/M), the fees the ledger does not price aside.
    await eventually(async () => expect(await counterOn(h.tollgate, budget)).toMatchObject({ spent: 4n * 4_800_000_000n, held: 0n }));
  });
});

describe('a Gemini request that names a cache', () => {
  it('is reserved at the tokens the gateway saw cached, and at policy.gemini_cache_tokens for a cache it does not know', async () => {
    const h = await start();
    // A cache of 2,000,000 tokens (made through the gateway, which records its size): reading it on gemini-2.5-pro
    // is billed at the long-context rates, $0.25/M, $0.50; its output at $15/M.
    h.fake.script({ usage: { input: 2_000_000 } });
    const created = await post(h, '/v1beta/cachedContents', { model: 'models/gemini-2.5-pro', contents: [{ role: 'user', parts: [{ text: 'a long manual' }] }], ttl: '600s' });
    expect(created.status).toBe(200);
    const { name } = (await created.json()) as { name: string };
    const ask = (cachedContent: string) => ({ contents: [{ role: 'user', parts: [{ text: 'What does chapter 3 say?' }] }], cachedContent, generationConfig: { maxOutputTokens: 100 } });
    // Reserved at 2,000,000 cached tokens: $0.50 and a little. Twice fits $1.20; a third does not.
    h.fake.setDefault({ usage: { input: 10, cacheRead: 2_000_000, output: 100 } });
    expect((await post(h, '/v1beta/models/gemini-2.5-pro:generateContent', ask(name))).status).toBe(200);
    expect((await post(h, '/v1beta/models/gemini-2.5-pro:generateContent', ask(name))).status).toBe(200);
    const counted = async (cache: string) => {
      const res = await post(h, '/v1beta/models/gemini-2.5-pro:generateContent', ask(cache));
      expect(res.status).toBe(402);
      const { error } = (await res.json()) as { error: { details: { metadata: Record<string, string> }[] } };
      const { request_input_tokens, request_cached_from } = error.details[0]!.metadata;
      expect(request_cached_from).toBe(cache === name ? 'ledger' : 'setting');
      return Number(request_input_tokens);
    };
    // The third is refused, counted at the cache's 2,000,000 tokens and its body; one naming a cache made elsewhere at the setting's 1,048,576.
    expect(await counted(name)).toBeGreaterThan(2_000_000);
    expect(await counted(name)).toBeLessThan(2_001_000);
    expect(await counted('cachedContents/elsewhere')).toBeGreaterThan(1_048_576);
    expect(await counted('cachedContents/elsewhere')).toBeLessThan(1_049_576);
    const rows = (await h.rows()).filter((r) => r.api === 'gemini.generate' && r.outcome === 'ok');
    // Each billed 10 in at $2.50/M, 2,000,000 cached at $0.25/M and 100 out at $15/M.
    expect(rows.map((r) => r.costPicos)).toEqual([501_525_000_000n, 501_525_000_000n]);
  });
});
