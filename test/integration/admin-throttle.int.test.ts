import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/logger.js';
import { chatOk, eventually, useHarness } from '../support/harness.js';

// auth.admin_failures: wrong admin tokens from one address (admin API, /metrics, the dashboard's
// sign-in, OTLP, and with auth.passthrough: deny the API itself) are counted together; past the
// limit the address gets 429 with retry-after, even with the right token, until its block ends.
// Tollgate keys are never counted nor refused for it.

const throttle = { limit: 3, windowMs: 60_000, blockMs: 1500 };
const warnings: string[] = [];
const none = () => undefined;
const log: Logger = { debug: none, info: none, error: none, warn: (msg) => void warnings.push(msg) };

async function call(url: string, authorization?: string, init: { method?: 'GET' | 'POST'; body?: string; headers?: Record<string, string> } = {}) {
  const res = await request(url, { method: init.method ?? 'GET', body: init.body, headers: { ...(authorization ? { authorization } : {}), ...init.headers } });
  return { status: res.statusCode, retryAfter: res.headers['retry-after'], text: await res.body.text() };
}

describe('wrong admin tokens on the admin routes', () => {
  const h = useHarness({ adminFailures: throttle, log });

  it('refuse their address after the limit, the right token too, until the block ends; a missing token does not count', async () => {
    for (let i = 0; i < 5; i++) expect((await call(`${h.url}/admin/v1/keys`)).status).toBe(401);
    expect((await call(`${h.url}/admin/v1/keys`, 'Bearer admin-secret')).status).toBe(200);
    expect((await call(`${h.url}/admin/v1/keys`, 'Bearer guess-1')).status).toBe(401);
    expect((await call(`${h.url}/metrics`, 'Bearer guess-2')).status).toBe(401);
    expect((await call(`${h.url}/admin/v1/keys`, 'Bearer guess-3')).status).toBe(401);
    expect(warnings.join('\n')).toMatch(/wrong admin tokens: 127\.0\.0\.1 refused for 1\.5 s after 3 within 60 s \(auth\.admin_failures\)/);

    const refused = await call(`${h.url}/admin/v1/keys`, 'Bearer admin-secret');
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBe('2');
    expect(JSON.parse(refused.text)).toMatchObject({ error: { code: 'too_many_auth_failures', message: expect.stringContaining('auth.admin_failures') as unknown } });
    expect((await call(`${h.url}/metrics`, 'Bearer admin-secret')).status).toBe(429);
    // The dashboard's sign-in is refused before the form is read.
    const login = await call(`${h.url}/ui/login`, undefined, { method: 'POST', body: 'token=admin-secret', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(login.status).toBe(429);
    expect(login.text).toContain('Too many wrong admin tokens');
    // OTLP with the admin token too; a Tollgate key is not the admin token, and is taken.
    const otlp = (key: string) => call(`${h.url}/v1/logs`, `Bearer ${key}`, { method: 'POST', body: '{"resourceLogs":[]}', headers: { 'content-type': 'application/json' } });
    expect((await otlp('admin-secret')).status).toBe(429);
    expect((await otlp(h.key.key)).status).toBe(200);
    // The API path with a Tollgate key never asks.
    await chatOk(h);

    await eventually(async () => expect((await call(`${h.url}/admin/v1/keys`, 'Bearer admin-secret')).status).toBe(200), 5000);
  });

  it('count the dashboard sign-in and OTLP with the rest', async () => {
    await new Promise((r) => setTimeout(r, throttle.blockMs));
    const form = (token: string) => call(`${h.url}/ui/login`, undefined, { method: 'POST', body: `token=${token}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect((await form('guess-1')).status).toBe(401);
    expect((await form('guess-2')).status).toBe(401);
    const otlp = await call(`${h.url}/v1/logs`, 'Bearer guess-3', { method: 'POST', body: '{"resourceLogs":[]}', headers: { 'content-type': 'application/json' } });
    expect(otlp.status).toBe(401);
    const refused = await form('admin-secret');
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBe('2');
    expect((await call(`${h.url}/admin/v1/keys`, 'Bearer admin-secret')).status).toBe(429);
  });
});

describe('keys sent to the API with auth.passthrough: deny', () => {
  const h = useHarness({ adminFailures: throttle, auth: { passthrough: 'deny' } });
  const chat = (key: string) =>
    call(`${h.url}/v1/chat/completions`, `Bearer ${key}`, { method: 'POST', body: JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }), headers: { 'content-type': 'application/json' } });

  it('count as wrong admin tokens (none is anything else there), and a refused address cannot try the admin token through the API', async () => {
    for (const key of ['sk-guess-1', 'sk-guess-2', 'sk-guess-3']) expect(JSON.parse((await chat(key)).text)).toMatchObject({ error: { code: 'passthrough_forbidden' } });
    const refused = await chat('admin-secret');
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBe('2');
    expect(JSON.parse(refused.text)).toMatchObject({ error: { code: 'too_many_auth_failures' } });
    const [row] = (await h.rows()).filter((r) => r.errorType === 'too_many_auth_failures');
    expect(row).toMatchObject({ status: 429, outcome: 'rejected' });
    expect((await call(`${h.url}/admin/v1/keys`, 'Bearer admin-secret')).status).toBe(429);
    // A Tollgate key is served all the while.
    await chatOk(h);
    await eventually(async () => expect(JSON.parse((await chat('admin-secret')).text)).toMatchObject({ error: { code: 'invalid_api_key' } }), 5000);
  });
});
