import { request } from 'node:http';
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

  it('stops reading the ledger when the client leaves half way', async () => {
    const storage = openSqlite(':memory:');
    const pad = 'x'.repeat(2000);
    const rows = Array.from({ length: 5000 }, (_, i) => sampleRow({ id: `r${String(i).padStart(5, '0')}`, ts: Date.UTC(2026, 10, 1) + i * 1000, tags: { pad } }));
    await storage.ledger.insert(rows);
    // The real scan, watched: it waited for a 'drain' that a closed socket never sends, so
    // SQLite's read stayed open (and the WAL unable to checkpoint) for the gateway's life.
    let closed = false;
    const scan = storage.ledger.scan.bind(storage.ledger);
    storage.ledger.scan = async function* (filter) {
      try {
        yield* scan(filter);
      } finally {
        closed = true;
      }
    };
    const admin = await serveAdmin(storage);
    await new Promise<void>((resolve, reject) => {
      const req = request(`${admin.base}/export`, admin.auth, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
      req.once('error', reject);
      req.end();
    });
    for (let i = 0; i < 100 && !closed; i++) await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(true);
    admin.close();
    await storage.close();
  });

  it('streams a row dated beyond what a date can hold (stored before OTLP times were bounded) with ts null, not a dropped connection', async () => {
    const storage = openSqlite(':memory:');
    await storage.ledger.insert([sampleRow({ id: 'sane', ts: Date.UTC(2026, 10, 18) }), sampleRow({ id: 'far', ts: 1e20 })]);
    const admin = await serveAdmin(storage);
    for (const format of ['jsonl', 'csv']) {
      const res = await fetch(`${admin.base}/export?format=${format}`, admin.auth);
      expect(res.status).toBe(200);
      const text = await res.text();
      if (format === 'jsonl') {
        expect(text.trim().split('\n').map((l) => JSON.parse(l) as { id: string; ts: string | null }).map((r) => [r.id, r.ts])).toEqual([['sane', '2026-11-18T00:00:00.000Z'], ['far', null]]);
      } else {
        expect(text.trim().split('\n').map((l) => l.split(',').slice(0, 2))).toEqual([['id', 'ts'], ['sane', '2026-11-18T00:00:00.000Z'], ['far', '']]);
      }
    }
    admin.close();
    await storage.close();
  });
});
