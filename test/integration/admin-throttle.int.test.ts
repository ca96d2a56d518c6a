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

describe('wrong admin tokens behind a trusted proxy (server.trusted_proxies)', () => {
  const proxied: string[] = [];
  const h = useHarness({ adminFailures: throttle, trustedProxies: { addresses: ['127.0.0.1', '::1'], header: 'x-forwarded-for' }, log: { ...log, warn: (msg) => void proxied.push(msg) } });
  const from = (xff: string) => ({ headers: { 'x-forwarded-for': xff } });

  it('count against the client the proxy names, so one client behind it cannot refuse the others', async () => {
    // Left of the proxy's own entry is whatever the client wrote: it changes nothing.
    for (const [i, forged] of ['6.6.6.1', '6.6.6.2', '6.6.6.3'].entries()) expect((await call(`${h.url}/admin/v1/keys`, `Bearer guess-${i}`, from(`${forged}, 198.51.100.7`))).status).toBe(401);
    expect(proxied.join('\n')).toMatch(/wrong admin tokens: 198\.51\.100\.7 refused for 1\.5 s after 3 within 60 s/);
    const refused = await call(`${h.url}/admin/v1/keys`, 'Bearer admin-secret', from('198.51.100.7'));
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.text)).toMatchObject({ error: { code: 'too_many_auth_failures' } });
    expect((await call(`${h.url}/admin/v1/keys`, 'Bearer admin-secret', from('198.51.100.8, 198.51.100.7'))).status).toBe(429);
    // Another client behind the same proxy, and the proxy itself, are served.
    expect((await call(`${h.url}/admin/v1/keys`, 'Bearer admin-secret', from('198.51.100.8'))).status).toBe(200);
    expect((await call(`${h.url}/metrics`, 'Bearer admin-secret', from('2001:db8::8'))).status).toBe(200);
    expect((await call(`${h.url}/admin/v1/keys`, 'Bearer admin-secret')).status).toBe(200);
    // The dashboard sign-in and OTLP key on the same client.
    const login = await call(`${h.url}/ui/login`, undefined, { method: 'POST', body: 'token=admin-secret', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '198.51.100.7' } });
    expect(login.status).toBe(429);
    const otlp = await call(`${h.url}/v1/logs`, 'Bearer admin-secret', { method: 'POST', body: '{"resourceLogs":[]}', headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.7' } });
    expect(otlp.status).toBe(429);
  });
});

describe('X-Forwarded-For from a peer that is not a trusted proxy', () => {
  const h = useHarness({ adminFailures: throttle, trustedProxies: { addresses: ['10.0.0.0/8', '2001:db8::/32'], header: 'x-forwarded-for' } });

  it('is not believed: wrong tokens count against the connection whatever the header names', async () => {
    for (const [i, client] of ['198.51.100.1', '198.51.100.2', '198.51.100.3'].entries()) {
      expect((await call(`${h.url}/admin/v1/keys`, `Bearer guess-${i}`, { headers: { 'x-forwarded-for': client } })).status).toBe(401);
    }
    expect((await call(`${h.url}/admin/v1/keys`, 'Bearer admin-secret', { headers: { 'x-forwarded-for': '198.51.100.9' } })).status).toBe(429);
    expect((await call(`${h.url}/admin/v1/keys`, 'Bearer admin-secret')).status).toBe(429);
  });
});

describe('keys sent to the API with auth.passthrough: deny behind a trusted proxy', () => {
  const h = useHarness({ adminFailures: throttle, auth: { passthrough: 'deny' }, trustedProxies: { addresses: ['127.0.0.1', '::1'], header: 'x-forwarded-for' } });
  const chat = (key: string, client: string) =>
    call(`${h.url}/v1/chat/completions`, `Bearer ${key}`, { method: 'POST', body: JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }), headers: { 'content-type': 'application/json', 'x-forwarded-for': client } });

  it('count against the client the proxy names', async () => {
    for (const key of ['sk-guess-1', 'sk-guess-2', 'sk-guess-3']) expect(JSON.parse((await chat(key, '198.51.100.7')).text)).toMatchObject({ error: { code: 'passthrough_forbidden' } });
    expect(JSON.parse((await chat('sk-guess-4', '198.51.100.7')).text)).toMatchObject({ error: { code: 'too_many_auth_failures' } });
    expect(JSON.parse((await chat('sk-guess-4', '198.51.100.8')).text)).toMatchObject({ error: { code: 'passthrough_forbidden' } });
  });
});
