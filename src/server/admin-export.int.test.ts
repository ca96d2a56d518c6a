import { describe, expect, it } from 'vitest';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { sampleRow } from '../storage/testing/rows.js';
import { serveAdmin } from './testing/admin-server.js';

describe('GET /admin/v1/export', () => {
  it('streams the window\'s rows, and answers a bad window with a 400 rather than a dropped connection', async () => {
    const storage = openSqlite(':memory:');
    await storage.ledger.insert([sampleRow({ id: 'in', ts: Date.UTC(2026, 10, 18) }), sampleRow({ id: 'out', ts: Date.UTC(2026, 9, 1) })]);
    const admin = await serveAdmin(storage);
    const base = `${admin.base}/export`;
    const auth = admin.auth;
    const ok = await fetch(`${base}?since=2026-11-01`, auth);
    expect(ok.status).toBe(200);
    expect((await ok.text()).trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(['in']);
    for (const q of ['since=2026-13-45', 'since=2026-11-10&until=2026-11-01']) {
      const bad = await fetch(`${base}?${q}`, auth);
      expect(bad.status, q).toBe(400);
      expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    }
    admin.close();
    await storage.close();
  });
});
