import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { Config } from '../config/index.js';
import type { LedgerRow } from '../core/ledger-row.js';
import { focusRecords } from '../focus/charges.js';
import { focusContext } from '../focus/context.js';
import { writeFocusCsv } from '../focus/csv.js';
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

  describe('format=focus', () => {
    const config: Pick<Config, 'providers' | 'pricing'> = {
      providers: [{ name: 'openai', dialect: 'openai', baseUrl: 'https://api.openai.com', apiKey: undefined, models: undefined, headers: {}, catalog: undefined }],
      pricing: { discounts: { openai: '0.1' }, overrides: [], fastMode: [] },
    };
    const focus = () => Promise.resolve(focusContext(config));
    const rows: LedgerRow[] = [
      sampleRow({ id: 'f1', ts: Date.UTC(2026, 10, 18, 9, 5), provider: 'openai', model: 'gpt-4o', user: 'ana', team: 'web', tags: { workflow: 'review' } }),
      sampleRow({ id: 'f2', ts: Date.UTC(2026, 10, 18, 9, 40), provider: 'openai', model: 'gpt-4o', user: 'ana', team: 'web', tags: { workflow: 'review' } }),
      sampleRow({ id: 'f3', ts: Date.UTC(2026, 10, 18, 11, 0), provider: 'openai', model: 'gpt-4o-mini', user: 'bo', team: 'data' }),
      sampleRow({ id: 'early', ts: Date.UTC(2026, 9, 1), provider: 'openai', model: 'gpt-4o' }),
    ];

    it('streams the window as the same FOCUS 1.2 CSV the CLI writes', async () => {
      const storage = openSqlite(':memory:');
      await storage.ledger.insert(rows);
      const admin = await serveAdmin(storage, { focus });
      const res = await fetch(`${admin.base}/export?format=focus&since=2026-11-01`, admin.auth);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/csv');
      let expected = '';
      await writeFocusCsv(focusRecords(storage.ledger.scan({ since: Date.UTC(2026, 10, 1) }), focusContext(config)), (t) => void (expected += t));
      const text = await res.text();
      expect(text).toBe(expected);
      expect(text.split('\n')[0]).toContain('BilledCost');
      expect(text).toContain('gpt-4o-mini');
      expect(text).not.toContain('2026-10-01');
      // FOCUS's schema metadata, apart from the dataset, which points to it.
      expect(res.headers.get('link')).toBe('</admin/v1/export?format=focus-metadata>; rel="describedby"');
      const meta = await fetch(`${admin.base}/export?format=focus-metadata`, admin.auth);
      expect(meta.status).toBe(200);
      const m = (await meta.json()) as { FocusVersion: string; ColumnDefinition: { ColumnName: string }[] };
      expect(m.FocusVersion).toBe('1.2');
      expect(m.ColumnDefinition.map((c) => c.ColumnName).join(',')).toBe(text.split('\n')[0]);
      admin.close();
      await storage.close();
    });

    it('is refused with a 400 naming the formats where the gateway has no FOCUS context, and names a row FOCUS cannot date', async () => {
      const storage = openSqlite(':memory:');
      await storage.ledger.insert([sampleRow({ id: 'far', ts: 1e20 })]);
      const plain = await serveAdmin(storage);
      const refused = await fetch(`${plain.base}/export?format=focus`, plain.auth);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toBe('format must be jsonl or csv, not "focus"');
      plain.close();
      const admin = await serveAdmin(storage, { focus });
      const bad = await fetch(`${admin.base}/export?format=focus`, admin.auth);
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/ledger row far .*no FOCUS charge period/);
      admin.close();
      await storage.close();
    });
  });
});
