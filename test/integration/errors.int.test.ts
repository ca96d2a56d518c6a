import { once } from 'node:events';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/identity/virtual-keys.js';
import { type Harness, defaultProviders, eventually, startHarness } from '../support/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    firstByteTimeoutMs: 300,
    maxBodyBytes: 64 * 1024,
    providers: (url) => [
      ...defaultProviders(url).map((p) => (p.name === 'openai' ? { ...p, models: ['gpt-*'] } : p)),
      { name: 'local', dialect: 'openai', baseUrl: url, apiKey: undefined, models: ['qwen*'], headers: { 'x-local': '1' }, catalog: undefined },
      { name: 'dead', dialect: 'openai', baseUrl: 'http://127.0.0.1:9', apiKey: 'sk-x', models: ['dead-*'], headers: {}, catalog: undefined },
      // The public endpoint with no key configured: a Tollgate key cannot be forwarded there.
      { name: 'public', dialect: 'openai', baseUrl: 'https://api.openai.com', apiKey: undefined, models: ['public-*'], headers: {}, catalog: undefined, keyRequired: true },
    ],
  });
});
afterAll(() => h.close());
beforeEach(async () => {
  h.fake.reset();
  await h.mark();
});

/** Any of the three dialects' error bodies, loosely. */
type ErrorBody = { type?: string; error: { code?: string | number; type?: string; message?: string; status?: string } };

const chat = (model = 'gpt-5', extra: Record<string, unknown> = {}) => JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...extra });

async function post(path: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await request(h.url + path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${h.key.key}`, ...headers }, body });
  const text = await res.body.text();
  const isJson = String(res.headers['content-type']).includes('json');
  return { status: res.statusCode, headers: res.headers, text, json: isJson && text ? (JSON.parse(text) as ErrorBody) : undefined, id: String(res.headers['x-tollgate-request-id']) };
}

describe('errors reach the client in its own dialect, and the ledger records them', () => {
  it('forwards an upstream 429 unchanged, retry-after included', async () => {
    h.fake.script({ status: 429, headers: { 'retry-after': '7' }, error: { type: 'requests', code: 'rate_limit_exceeded', message: 'Rate limit reached' } });
    const r = await post('/v1/chat/completions', chat());
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBe('7');
    expect(Buffer.from(r.text).equals(h.fake.requests[0]!.sent)).toBe(true);
    expect(await h.row(r.id)).toMatchObject({ status: 429, outcome: 'upstream_error', errorType: 'rate_limit_exceeded', costPicos: 0n });
  });

  it('passes an error event inside a 200 stream through and records it', async () => {
    h.fake.script({ errorEventAfter: 2 });
    const r = await post('/v1/chat/completions', chat('gpt-5', { stream: true }));
    expect(r.status).toBe(200);
    expect(r.text).toContain('"error"');
    expect(await h.row(r.id)).toMatchObject({ status: 200, outcome: 'upstream_error', stream: true });
  });

  it('bills nothing for an Anthropic stream whose first event is an error: the 529 of a stream, the model never began', async () => {
    h.fake.script({ errorEventAfter: 0, error: { type: 'overloaded_error', message: 'Overloaded' } });
    const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi there, a prompt to estimate' }] });
    const r = await post('/v1/messages', body, { 'x-api-key': h.key.key, authorization: '' });
    expect(r.status).toBe(200);
    expect(r.text).toContain('overloaded_error');
    const row = await h.row(r.id);
    expect(row).toMatchObject({ outcome: 'upstream_error', errorType: 'overloaded_error', inputTokens: 0, usageSource: 'none' });
    expect(row.costPicos ?? 0n).toBe(0n);
  });

  it('answers 502 when the upstream is unreachable', async () => {
    const r = await post('/v1/chat/completions', chat('dead-model'));
    expect(r.status).toBe(502);
    expect(r.json!.error.code).toBe('upstream_unreachable');
    expect(await h.row(r.id)).toMatchObject({ provider: 'dead', status: 502, outcome: 'upstream_error', errorType: 'upstream_unreachable' });
  });

  it('refuses a Tollgate key bound for a public provider with no api_key, saying what to set, before going upstream', async () => {
    const r = await post('/v1/chat/completions', chat('public-model'));
    expect(r.status).toBe(401);
    expect(r.json!.error).toMatchObject({ code: 'provider_key_missing' });
    expect(r.json!.error.message).toContain('set providers[].api_key for it');
    expect(await h.row(r.id)).toMatchObject({ provider: 'public', status: 401, outcome: 'rejected', errorType: 'provider_key_missing', attempts: 0 });
  });

  it('answers 504 when the first byte does not come in time', async () => {
    h.fake.script({ hang: true });
    const r = await post('/v1/messages', JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [] }), { 'x-api-key': h.key.key, authorization: '' });
    expect(r.status).toBe(504);
    expect(r.json).toMatchObject({ type: 'error', error: { type: 'timeout_error' } });
    expect(await h.row(r.id)).toMatchObject({ api: 'anthropic.messages', status: 504, errorType: 'upstream_timeout' });
  });

  it('marks a stream cut by the upstream as truncated, with the usage known so far', async () => {
    h.fake.script({ cutAfterEvents: 3, usage: { input: 100, cacheRead: 50, output: 900 } });
    await expect(post('/v1/messages', JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 1000, stream: true, messages: [] }), { 'x-api-key': h.key.key, authorization: '' })).rejects.toThrow();
    const [row] = await eventually(async () => {
      const rows = await h.rows();
      expect(rows).toHaveLength(1);
      return rows;
    });
    expect(row).toMatchObject({ outcome: 'truncated', usageSource: 'partial', inputTokens: 150, cacheReadTokens: 50 });
  });

  it('rejects malformed JSON with 400 in the dialect, and records it', async () => {
    const r = await post('/v1/messages', '{"model": ', { 'x-api-key': h.key.key, authorization: '' });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(r.json!.error.message).toMatch(/not valid JSON/);
    expect(await h.row(r.id)).toMatchObject({ outcome: 'rejected', errorType: 'invalid_json', status: 400, keyId: h.key.id, user: h.key.user });
  });

  it('checks the key before the body, as providers do: malformed JSON with an unknown key is a 401', async () => {
    const r = await post('/v1/chat/completions', '{"model": ', { authorization: 'Bearer tg_nope' });
    expect(r.status).toBe(401);
    expect(r.json!.error.code).toBe('invalid_api_key');
    expect(await h.row(r.id)).toMatchObject({ outcome: 'rejected', errorType: 'invalid_api_key', keyId: null });
  });

  it('checks the key before the request itself: a body without a model is a 401 with an unknown key, a 400 naming the caller with a good one', async () => {
    const unknown = await post('/v1/chat/completions', '{"messages": []}', { authorization: 'Bearer tg_nope' });
    expect(unknown.status).toBe(401);
    expect(await h.row(unknown.id)).toMatchObject({ outcome: 'rejected', errorType: 'invalid_api_key', keyId: null });
    const known = await post('/v1/chat/completions', '{"messages": []}');
    expect(known.status).toBe(400);
    expect(known.json!.error.code).toBe('invalid_request');
    expect(await h.row(known.id)).toMatchObject({ outcome: 'rejected', errorType: 'invalid_request', keyId: h.key.id, user: h.key.user });
  });

  it('refuses a model name longer than any provider uses with 400, and records it cut to 256 characters, in the path too', async () => {
    const r = await post('/v1/chat/completions', chat('claude'.repeat(5000)));
    expect(r.status).toBe(400);
    expect(r.json!.error.message).toMatch(/30000 characters long; Tollgate takes names of at most 256/);
    const row = await h.row(r.id);
    expect(row).toMatchObject({ outcome: 'rejected', errorType: 'invalid_request', keyId: h.key.id });
    expect(row.modelRequested).toHaveLength(256);
    expect(h.fake.requests).toHaveLength(0);
    const gemini = await post(`/v1beta/models/${'g'.repeat(300)}:generateContent`, JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }), { 'x-goog-api-key': h.key.key, authorization: '' });
    expect(gemini.status).toBe(400);
    expect(gemini.json).toMatchObject({ error: { status: 'INVALID_ARGUMENT' } });
  });

  it('rejects an oversized body with 413, its row attributed to the key’s user and team, declared or chunked', async () => {
    const r = await post('/v1/chat/completions', chat('gpt-5', { pad: 'x'.repeat(70 * 1024) }));
    expect(r.status).toBe(413);
    const who = { keyId: h.key.id, user: 'alice', team: 'platform', project: 'tollgate' };
    expect(await h.row(r.id)).toMatchObject({ outcome: 'rejected', errorType: 'body_too_large', ...who });
    // No content-length: the limit is found while reading.
    const body = Readable.from(Array.from({ length: 10 }, () => Buffer.alloc(16 * 1024, 'x')));
    const res = await request(`${h.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${h.key.key}` }, body });
    await res.body.text();
    expect(res.statusCode).toBe(413);
    expect(await h.row(String(res.headers['x-tollgate-request-id']))).toMatchObject({ outcome: 'rejected', errorType: 'body_too_large', ...who });
    expect(h.fake.requests).toHaveLength(0);
  });

  it('records a client that hangs up while sending its body as client_aborted, not as a gateway error', async () => {
    const { port, hostname } = new URL(h.url);
    const socket = connect(Number(port), hostname);
    await once(socket, 'connect');
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h.key.key}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"model":"gpt-5",`);
    // Long enough for the gateway to be reading the body when the client goes.
    await new Promise((r) => setTimeout(r, 100));
    socket.destroy();
    const [row] = await eventually(async () => {
      const rows = await h.rows();
      expect(rows).toHaveLength(1);
      return rows;
    });
    expect(row).toMatchObject({ api: 'openai.chat', status: 0, outcome: 'client_aborted', errorType: 'client_disconnected' });
    expect(h.fake.requests).toHaveLength(0);
  });

  it('rejects missing, unknown and revoked keys with 401', async () => {
    const missing = await post('/v1/chat/completions', chat(), { authorization: '' });
    expect(missing.status).toBe(401);
    expect(missing.json!.error.code).toBe('missing_api_key');
    const unknown = await post('/v1/chat/completions', chat(), { authorization: 'Bearer tg_nope' });
    expect(unknown.json!.error.code).toBe('invalid_api_key');
    const created = await request(`${h.url}/admin/v1/keys`, { method: 'POST', headers: { authorization: 'Bearer admin-secret', 'content-type': 'application/json' }, body: JSON.stringify({ user: 'bob', team: 't' }) });
    const key = (await created.body.json()) as { id: string; key: string };
    await request(`${h.url}/admin/v1/keys/${key.id}`, { method: 'DELETE', headers: { authorization: 'Bearer admin-secret' } });
    const revoked = await post('/v1/chat/completions', chat(), { authorization: `Bearer ${key.key}` });
    expect(revoked.status).toBe(401);
    expect(revoked.json!.error.code).toBe('revoked_api_key');
    const rows = await h.rows();
    expect(rows.map((r) => r.errorType).sort()).toEqual(['invalid_api_key', 'missing_api_key', 'revoked_api_key']);
    // The revoked key's row names it and whose it was; an unknown key is nobody's.
    expect(rows.find((r) => r.errorType === 'revoked_api_key')).toMatchObject({ keyId: key.id, user: 'bob', team: 't', outcome: 'rejected', status: 401 });
    expect(rows.find((r) => r.errorType === 'invalid_api_key')).toMatchObject({ keyId: null, user: null });
    expect(h.fake.requests).toHaveLength(0);
  });

  it('refuses a key once it has expired, everywhere a key is taken, and records the refusal', async () => {
    const created = await request(`${h.url}/admin/v1/keys`, { method: 'POST', headers: { authorization: 'Bearer admin-secret', 'content-type': 'application/json' }, body: JSON.stringify({ user: 'carol', team: 't', expires: new Date(Date.now() + 1500).toISOString() }) });
    expect(created.statusCode).toBe(201);
    const key = (await created.body.json()) as { id: string; key: string; expires_at: string };
    expect(Date.parse(key.expires_at)).toBeGreaterThan(Date.now());
    expect((await post('/v1/chat/completions', chat(), { authorization: `Bearer ${key.key}` })).status).toBe(200);
    const mine = await request(`${h.url}/admin/v1/me`, { headers: { authorization: `Bearer ${key.key}` } });
    expect(((await mine.body.json()) as { key: { expires_at: string } }).key.expires_at).toBe(key.expires_at);
    await new Promise((r) => setTimeout(r, Date.parse(key.expires_at) - Date.now() + 20));
    const expired = await post('/v1/chat/completions', chat(), { authorization: `Bearer ${key.key}` });
    expect(expired.status).toBe(401);
    expect(expired.json!.error).toMatchObject({ code: 'expired_api_key', message: `Tollgate key ${key.id} expired at ${key.expires_at}. Ask your admin for a new key.` });
    const me = await request(`${h.url}/admin/v1/me`, { headers: { authorization: `Bearer ${key.key}` } });
    expect(me.statusCode).toBe(401);
    expect(((await me.body.json()) as { error: { code: string } }).error.code).toBe('expired_api_key');
    const otlp = await request(`${h.url}/v1/logs`, { method: 'POST', headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' }, body: '{"resourceLogs":[]}' });
    expect(otlp.statusCode).toBe(401);
    expect(await otlp.body.text()).toContain('expired at');
    const rows = await h.rows();
    expect(rows.map((r) => [r.outcome, r.errorType])).toEqual([['ok', null], ['rejected', 'expired_api_key']]);
    expect(rows[1]).toMatchObject({ keyId: key.id, user: 'carol', team: 't' });
  });

  it('refuses a key expiry that is not a time, or is past, with 400', async () => {
    for (const expires of ['tomorrow', '2020-01-01', 30]) {
      const r = await request(`${h.url}/admin/v1/keys`, { method: 'POST', headers: { authorization: 'Bearer admin-secret', 'content-type': 'application/json' }, body: JSON.stringify({ user: 'dan', expires }) });
      expect(r.statusCode).toBe(400);
      expect(((await r.body.json()) as { error: { message: string } }).error.message).toMatch(/^expires /);
    }
  });

  it('answers a key id that is not valid URL text with 400, not 500', async () => {
    const r = await request(`${h.url}/admin/v1/keys/%E0%A4%A`, { method: 'DELETE', headers: { authorization: 'Bearer admin-secret' } });
    expect(r.statusCode).toBe(400);
    expect(await r.body.json()).toEqual({ error: { code: 'invalid_request', message: '"%E0%A4%A" is not a valid id in a URL' } });
  });

  it('answers unknown routes with 404 and wrong methods with 405, without ledger rows', async () => {
    const r404 = await post('/v1/nothing', '{}');
    expect(r404.status).toBe(404);
    expect(r404.json!.error.code).toBe('unknown_route');
    const r405 = await request(`${h.url}/v1/embeddings`, { method: 'GET' });
    expect(r405.statusCode).toBe(405);
    expect(r405.headers.allow).toBe('POST');
    await r405.body.dump();
    const gem = await post('/v1beta/models/gemini-2.5-pro:nothing', '{}');
    expect(gem.json).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
    // A path of no dialect: the error shape of the dialect the request's headers claim (the Anthropic SDK's Managed Agents API here).
    const agents = await post('/v1/agents', '{}', { 'x-api-key': h.key.key, 'anthropic-version': '2023-06-01' });
    expect(agents.status).toBe(404);
    expect(agents.json).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    expect(await h.rows()).toEqual([]);
  });

  it('tells an SDK whose base URL lacks or repeats the API version which path it meant', async () => {
    const hint = 'check the client';
    const openai = new OpenAI({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
    const noV1 = await openai.chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(noV1).toBeInstanceOf(OpenAI.NotFoundError);
    expect((noV1 as Error).message).toContain(`Tollgate does not serve POST /chat/completions. It serves POST /v1/chat/completions: ${hint}`);
    const anthropic = new Anthropic({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const twice = await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(twice).toBeInstanceOf(Anthropic.NotFoundError);
    expect((twice as Error).message).toContain(`It serves POST /v1/messages: ${hint}`);
    const gemini = await post('/v1beta/v1beta/models/gemini-2.5-pro:generateContent', '{}', { 'x-goog-api-key': h.key.key });
    expect(gemini.json).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
    expect(gemini.json!.error.message).toContain('It serves POST /v1beta/models/gemini-2.5-pro:generateContent');
    // A path near none that is served keeps the plain message.
    expect((await post('/v1/nothing', '{}')).json!.error.message).toBe('Tollgate does not serve POST /v1/nothing.');
    expect(await h.rows()).toEqual([]);
  });
});

describe('compressed request bodies', () => {
  // Made with the zstd CLI (Node 20 cannot compress zstd): chat('gpt-5') below.
  const CHAT_ZSTD = Buffer.from('KLUv/SQ9vQEA0sMMEaDthR2DitnbWiMAkf2GqYpDk8yrdD1sCxubg7/teP0ufpdD34tK97KDiwAdun7tYXYZANcPPbs=', 'base64');

  it('decodes gzip, br and zstd bodies, meters them, and forwards the JSON uncompressed', async () => {
    for (const [coding, body] of [
      ['gzip', gzipSync(chat())],
      ['br', brotliCompressSync(chat())],
      ['zstd', CHAT_ZSTD],
    ] as const) {
      h.fake.reset();
      const r = await post('/v1/chat/completions', body, { 'content-encoding': coding });
      expect(r.status, coding).toBe(200);
      const sent = h.fake.requests[0]!;
      expect(sent.body.toString(), coding).toBe(chat());
      expect(sent.headers['content-encoding'], coding).toBeUndefined();
      expect(await h.row(r.id)).toMatchObject({ modelRequested: 'gpt-5', outcome: 'ok' });
    }
  });

  it('refuses an unknown coding with 415, corrupt data with 400 and a body that inflates past the limit with 413, each recorded', async () => {
    const unknown = await post('/v1/chat/completions', chat(), { 'content-encoding': 'compress' });
    expect(unknown.status).toBe(415);
    expect(unknown.json!.error).toMatchObject({ code: 'unsupported_encoding', message: expect.stringContaining('send gzip, deflate, br, zstd') });
    const corrupt = await post('/v1/chat/completions', chat(), { 'content-encoding': 'gzip' });
    expect(corrupt.status).toBe(400);
    expect(corrupt.json!.error.message).toContain('not valid gzip data');
    const bomb = await post('/v1/chat/completions', gzipSync(Buffer.alloc(1024 * 1024, ' ')), { 'content-encoding': 'gzip' });
    expect(bomb.status).toBe(413);
    expect(bomb.json!.error.code).toBe('body_too_large');
    expect(h.fake.requests).toHaveLength(0);
    const rows = await h.rows();
    expect(rows.map((r) => [r.outcome, r.errorType, r.status, r.keyId])).toEqual([
      ['rejected', 'unsupported_encoding', 415, h.key.id],
      ['rejected', 'invalid_request', 400, h.key.id],
      ['rejected', 'body_too_large', 413, h.key.id],
    ]);
  });
});

describe('routing and keys', () => {
  it('routes by model glob, and /p/{provider} addresses one explicitly', async () => {
    const local = await post('/v1/chat/completions', chat('qwen3-coder'));
    expect(local.status).toBe(200);
    expect(h.fake.requests[0]!.headers['x-local']).toBe('1');
    expect(h.fake.requests[0]!.headers.authorization).toBeUndefined();
    const explicit = await post('/p/local/v1/chat/completions', chat('gpt-5'));
    expect(explicit.status).toBe(200);
    const unknown = await post('/p/nope/v1/chat/completions', chat());
    expect(unknown.status).toBe(404);
    expect(unknown.json!.error.code).toBe('unknown_provider');
    const rows = await h.rows();
    expect(rows.map((r) => [r.provider, r.outcome])).toEqual([
      ['local', 'ok'],
      ['local', 'ok'],
      ['', 'rejected'],
    ]);
  });

  it('passes a real provider key through, attributed to its fingerprint', async () => {
    const r = await post('/v1/chat/completions', chat(), { authorization: 'Bearer sk-proj-abc', 'x-tollgate-user': 'carol' });
    expect(r.status).toBe(200);
    expect(h.fake.requests[0]!.headers.authorization).toBe('Bearer sk-proj-abc');
    expect(await h.row(r.id)).toMatchObject({ keyId: fingerprint('sk-proj-abc'), user: 'carol' });
  });

  it('serves health checks and the base-URL probe Claude Code sends, each with a request id', async () => {
    for (const [path, method] of [['/healthz', 'GET'], ['/readyz', 'GET'], ['/', 'HEAD'], ['/admin/v1/keys', 'GET']] as const) {
      const res = await request(h.url + path, { method });
      await res.body.dump();
      expect(res.statusCode, path).toBe(path.startsWith('/admin') ? 401 : 200);
      expect(res.headers['x-tollgate-request-id'], path).toMatch(/^[0-9a-f-]{36}$/);
    }
    const root = await post('/', '{}');
    expect(root.status).toBe(404);
    expect(await h.rows()).toEqual([]);
  });
});

describe('a gateway shutting down with server.shutdown_delay_ms', () => {
  it('answers /readyz with 503 while it still serves everything, each answer closing its connection, then closes', async () => {
    const h = await startHarness({ shutdownDelayMs: 600 });
    const before = await request(`${h.url}/healthz`);
    await before.body.dump();
    expect(before.headers.connection).toBe('keep-alive');
    const closed = h.tollgate.close();
    const ready = await request(`${h.url}/readyz`);
    expect(ready.statusCode).toBe(503);
    expect(await ready.body.json()).toEqual({ status: 'not ready' });
    const health = await request(`${h.url}/healthz`);
    await health.body.dump();
    expect(health.statusCode).toBe(200);
    // Each answer closes its connection: pooled clients reconnect (elsewhere) rather than meet a reset when the listener closes.
    expect(health.headers.connection).toBe('close');
    await closed;
    await expect(request(`${h.url}/healthz`)).rejects.toThrow();
    await h.close();
  });
});
