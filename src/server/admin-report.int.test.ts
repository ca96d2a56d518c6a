import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.js';
import { usd } from '../core/money.js';
import { KeyResolver } from '../identity/key-resolver.js';
import type { Storage } from '../storage/ports.js';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { sampleRow } from '../storage/testing/rows.js';
import { createHttpServer } from './http-server.js';

const TOKEN = 'adm-token';
let server: Server | undefined;
let storage: Storage | undefined;

afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  await storage?.close();
});

async function start(): Promise<string> {
  storage = openSqlite(':memory:');
  const http = createHttpServer({
    gateway: (_req, res) => Promise.resolve(void res.writeHead(404).end()),
    admin: { storage, keys: new KeyResolver(storage.keys), token: TOKEN, flush: () => Promise.resolve() },
    ready: () => Promise.resolve(true),
    log: silentLogger,
  });
  server = http;
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}/admin/v1`;
}

async function get(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('GET /admin/v1/report without until', () => {
  it('ends now, as tollgate report does: a row dated in the future is left out, and until says when', async () => {
    const base = await start();
    const nextYear = Date.now() + 365 * 86_400_000;
    await storage!.ledger.insert([
      sampleRow({ id: 'now', ts: Date.now() - 3_600_000, user: 'alice', costPicos: usd(1) }),
      sampleRow({ id: 'later', ts: nextYear, user: 'bob', costPicos: usd(2) }),
    ]);
    const before = Date.now();
    const r = await get(`${base}/report?since=1d&by=user`);
    expect(r.status).toBe(200);
    expect((r.body.rows as { user: string }[]).map((row) => row.user)).toEqual(['alice']);
    expect(Date.parse(r.body.until as string)).toBeGreaterThanOrEqual(before);
    // Without since too: the whole ledger up to now.
    expect(((await get(`${base}/report?by=user`)).body.rows as { user: string }[]).map((row) => row.user)).toEqual(['alice']);
    expect((await get(`${base}/report?by=rule`)).body.until).not.toBeNull();
    const asked = await get(`${base}/report?since=1d&until=${new Date(nextYear + 1).toISOString()}&by=user`);
    expect((asked.body.rows as { user: string }[]).map((row) => row.user).sort()).toEqual(['alice', 'bob']);
    expect((await get(`${base}/report?since=${new Date(nextYear).toISOString()}`)).status).toBe(400);
  });
});

describe('GET /admin/v1/report?by=', () => {
  it('answers 400 naming a dimension given twice, repeated or in one list', async () => {
    const base = await start();
    for (const q of ['by=user&by=user', 'by=day,team,day', 'by=rule,rule']) {
      const r = await get(`${base}/report?since=1d&${q}`);
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ error: { code: 'invalid_request', message: expect.stringMatching(/^by: "(user|day|rule)" is given twice; name each dimension once$/) } });
    }
  });
});
