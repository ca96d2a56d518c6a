import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.js';

const APP = 'https://app.example.com';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ cors: { origins: [APP, 'http://localhost:5173'] } });
});
afterAll(() => h.close());
beforeEach(async () => {
  h.fake.reset();
  await h.mark();
});

async function preflight(path: string, origin: string, method = 'POST', headers = 'authorization, content-type') {
  const res = await request(h.url + path, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers } });
  await res.body.text();
  return { status: res.statusCode, headers: res.headers };
}

const chat = JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] });

describe('CORS for browser apps (server.cors)', () => {
  it('answers the preflight of an allowed origin for an API route, with no ledger row and nothing sent upstream', async () => {
    // What the openai SDK with dangerouslyAllowBrowser sends first.
    const openai = await preflight('/v1/chat/completions', APP, 'POST', 'authorization,content-type,x-stainless-arch,x-stainless-os');
    expect(openai.status).toBe(204);
    expect(openai.headers).toMatchObject({
      'access-control-allow-origin': APP,
      'access-control-allow-methods': 'GET, POST, DELETE',
      'access-control-allow-headers': 'authorization,content-type,x-stainless-arch,x-stainless-os',
      'access-control-max-age': '600',
    });
    expect(String(openai.headers.vary)).toMatch(/^Origin\b/);
    // And @anthropic-ai/sdk's, through a provider prefix; and a GET route.
    const anthropic = await preflight('/p/anthropic/v1/messages', 'http://localhost:5173', 'POST', 'anthropic-dangerous-direct-browser-access,anthropic-version,content-type,x-api-key');
    expect(anthropic).toMatchObject({ status: 204, headers: { 'access-control-allow-origin': 'http://localhost:5173', 'access-control-allow-headers': 'anthropic-dangerous-direct-browser-access,anthropic-version,content-type,x-api-key' } });
    expect((await preflight('/v1/models', APP, 'GET')).status).toBe(204);
    expect(await h.rows()).toEqual([]);
    expect(h.fake.requests).toEqual([]);
  });

  it('gives other origins, other routes and the admin API no CORS headers', async () => {
    const other = await preflight('/v1/chat/completions', 'https://evil.example');
    expect(other.status).toBe(405);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect((await preflight('/v1/nope', APP)).status).toBe(404);
    const wrongMethod = await preflight('/v1/chat/completions', APP, 'PUT');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers['access-control-allow-origin']).toBeUndefined();
    const admin = await preflight('/admin/v1/me', APP, 'GET');
    expect(admin.headers['access-control-allow-origin']).toBeUndefined();
    const me = await request(`${h.url}/admin/v1/me`, { headers: { origin: APP, authorization: `Bearer ${h.key.key}` } });
    await me.body.text();
    expect(me.statusCode).toBe(200);
    expect(me.headers['access-control-allow-origin']).toBeUndefined();
    expect(await h.rows()).toEqual([]);
  });

  it("marks the responses of an allowed origin, replacing the provider's own CORS headers, and records them", async () => {
    h.fake.script({ headers: { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'x-request-id', vary: 'Accept-Encoding' } });
    const res = await request(`${h.url}/v1/chat/completions`, { method: 'POST', headers: { origin: APP, authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' }, body: chat });
    await res.body.text();
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(APP);
    const exposed = String(res.headers['access-control-expose-headers']).split(', ');
    expect(exposed).toEqual(expect.arrayContaining(['x-tollgate-request-id', 'request-id', 'x-request-id', 'retry-after', 'x-ratelimit-remaining-requests', 'anthropic-ratelimit-requests-remaining', 'x-tollgate-budget-remaining']));
    expect(res.headers.vary).toBe('Accept-Encoding, Origin');
    const id = String(res.headers['x-tollgate-request-id']);
    expect(await h.row(id)).toMatchObject({ status: 200, api: 'openai.chat' });

    // A stream (its headers go out before the body) is marked the same.
    const stream = await request(`${h.url}/v1/chat/completions`, { method: 'POST', headers: { origin: APP, authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ ...JSON.parse(chat), stream: true }) });
    expect(await stream.body.text()).toContain('data: [DONE]');
    expect(stream.headers['access-control-allow-origin']).toBe(APP);

    // The gateway's own errors too, so that browser code can read them.
    const refused = await request(`${h.url}/v1/chat/completions`, { method: 'POST', headers: { origin: APP, authorization: 'Bearer tg_unknown', 'content-type': 'application/json' }, body: chat });
    await refused.body.text();
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe(APP);
    // No Origin (not a browser) or another one: nothing added.
    h.fake.script({ headers: { 'access-control-allow-origin': '*' } });
    const plain = await request(`${h.url}/v1/chat/completions`, { method: 'POST', headers: { origin: 'https://evil.example', authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' }, body: chat });
    await plain.body.text();
    expect(plain.headers['access-control-allow-origin']).toBe('*');
    expect(plain.headers['access-control-expose-headers']).toBeUndefined();
  });
});

describe('without server.cors', () => {
  it('changes nothing: a preflight gets the 405 it always got, with no ledger row', async () => {
    const off = await startHarness();
    try {
      const res = await request(`${off.url}/v1/chat/completions`, { method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'POST' } });
      await res.body.text();
      expect(res.statusCode).toBe(405);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(await off.rows()).toEqual([]);
    } finally {
      await off.close();
    }
  });
});
