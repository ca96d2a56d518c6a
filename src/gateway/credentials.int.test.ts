import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, defaultProviders, startHarness } from '../../test/support/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    // A local server without a key: the caller's Tollgate key is taken off, nothing put in its place.
    providers: (url) => [{ name: 'local', dialect: 'openai', baseUrl: url, apiKey: undefined, models: ['local-*'], headers: {}, catalog: undefined }, ...defaultProviders(url)],
  });
});
afterAll(() => h.close());
beforeEach(() => h.fake.reset());

const chat = (model: string, headers: Record<string, string>, search = '') =>
  request(`${h.url}/v1/chat/completions${search}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });

/** Everything the provider was sent besides the body. */
const sent = () => h.fake.requests.map((r) => JSON.stringify(r.headers) + r.search).join('\n');

describe('a Tollgate key never reaches the provider', () => {
  it('sent in places the dialect does not read as well as its own: the provider key replaces it, the others are dropped', async () => {
    const k = h.key.key;
    const res = await chat('gpt-4o-mini', { authorization: `Bearer ${k}`, 'x-api-key': k, 'api-key': k, 'x-goog-api-key': k }, `?key=${k}&alt=json`);
    await res.body.dump();
    expect(res.statusCode).toBe(200);
    expect(h.fake.requests).toHaveLength(1);
    expect(h.fake.requests[0]!.headers.authorization).toBe('Bearer sk-upstream-openai');
    expect(h.fake.requests[0]!.search).toBe('alt=json');
    expect(sent()).not.toContain('tg_');
  });

  it('beside a provider key passed through, or to a provider without a key', async () => {
    const k = h.key.key;
    const own = await chat('gpt-4o-mini', { authorization: 'Bearer sk-own-key', 'x-api-key': k });
    await own.body.dump();
    const local = await chat('local-qwen', { authorization: `Bearer ${k}`, 'api-key': k }, `?key=${k}`);
    await local.body.dump();
    expect([own.statusCode, local.statusCode]).toEqual([200, 200]);
    expect(h.fake.requests.map((r) => r.headers.authorization)).toEqual(['Bearer sk-own-key', undefined]);
    expect(sent()).not.toContain('tg_');
  });

  it('nor does the admin token sent as an API key: refused with 401, nothing upstream, no fingerprint of it on the row', async () => {
    const ids: string[] = [];
    for (const [path, headers] of [
      ['/v1/chat/completions', { authorization: 'Bearer admin-secret' }],
      ['/v1/messages', { 'x-api-key': 'admin-secret', 'anthropic-version': '2023-06-01' }],
      ['/v1beta/models/gemini-2.5-flash:generateContent?key=admin-secret', {}],
    ] as const) {
      const res = await request(`${h.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 5, messages: [], contents: [] }) });
      const text = await res.body.text();
      expect(res.statusCode, path).toBe(401);
      expect(text).toContain('admin token');
      ids.push(String(res.headers['x-tollgate-request-id']));
    }
    expect(h.fake.requests).toHaveLength(0);
    for (const id of ids) expect(await h.row(id)).toMatchObject({ outcome: 'rejected', errorType: 'invalid_api_key', keyId: null });
  });
});
