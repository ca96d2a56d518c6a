import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { KeyResolver } from '../identity/key-resolver.js';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { sampleRow } from '../storage/testing/rows.js';
import { handleAdmin } from './admin.js';

describe('GET /admin/v1/export', () => {
  it('streams the window\'s rows, and answers a bad window with a 400 rather than a dropped connection', async () => {
    const storage = openSqlite(':memory:');
    await storage.ledger.insert([sampleRow({ id: 'in', ts: Date.UTC(2026, 10, 18) }), sampleRow({ id: 'out', ts: Date.UTC(2026, 9, 1) })]);
    const deps = { storage, keys: new KeyResolver(storage.keys), token: 'adm', flush: () => Promise.resolve() };
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      void handleAdmin(deps, req, res, url.pathname, url.searchParams);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/v1/export`;
    const auth = { headers: { authorization: 'Bearer adm' } };
    const ok = await fetch(`${base}?since=2026-11-01`, auth);
    expect(ok.status).toBe(200);
    expect((await ok.text()).trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(['in']);
    for (const q of ['since=2026-13-45', 'since=2026-11-10&until=2026-11-01']) {
      const bad = await fetch(`${base}?${q}`, auth);
      expect(bad.status, q).toBe(400);
      expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    }
    server.close();
    await storage.close();
  });
});
