import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { sampleRow } from '../testing/rows.js';
import { openSqliteLedger } from './ledger.js';

const newPath = () => join(mkdtempSync(join(tmpdir(), 'tollgate-sqlite-ledger-')), 'test.db');
const rows = (n: number, from = 0) => Array.from({ length: n }, (_, i) => sampleRow({ id: `r${from + i}`, ts: Date.UTC(2026, 10, 1) + (from + i) * 1000, upstreamRequestId: `up${from + i}` }));

function schemaOf(path: string) {
  const db = new Database(path);
  try {
    return { indexes: db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'requests' ORDER BY name").all(), rows: (db.prepare('SELECT COUNT(*) AS n FROM requests').get() as { n: number }).n };
  } finally {
    db.close();
  }
}

describe('SQLite ledger, large batches', () => {
  it('builds the indexes after a batch larger than the table, the same indexes as before, rollups exact', async () => {
    const path = newPath();
    const s = openSqliteLedger(path);
    const before = schemaOf(path);
    expect(before.indexes.length).toBeGreaterThanOrEqual(4);
    expect(await s.ledger.insert(rows(12_000))).toBe(12_000);
    // Repeats are still ignored (the primary key stays), and a later large batch into a larger table goes the usual way.
    expect(await s.ledger.insert([...rows(100), ...rows(11_000, 12_000)])).toBe(11_000);
    const totals = await s.ledger.aggregate({ since: 0, by: [] });
    await s.close();
    expect(schemaOf(path)).toEqual({ indexes: before.indexes, rows: 23_000 });
    expect(totals[0]).toMatchObject({ requests: 23_000, inputTokens: 23_000 * 1000 });
  });

  it('counts a request twice in one batch into an empty ledger once, when two sources recorded it', async () => {
    const s = openSqliteLedger(newPath());
    const batch = rows(100).map((r, i) => (i === 99 ? { ...r, upstreamRequestId: 'up0', source: 'codex-log' } : r));
    expect(await s.ledger.insert(batch)).toBe(99);
    expect(await s.ledger.get('r99')).toBeUndefined();
    await s.close();
  });

  it('keeps the indexes when the batch fails half-way (all of it rolls back)', async () => {
    const path = newPath();
    const s = openSqliteLedger(path);
    const before = schemaOf(path);
    const bad = rows(11_000);
    bad[10_500] = { ...bad[10_500]!, ts: {} as unknown as number };
    await expect(Promise.resolve().then(() => s.ledger.insert(bad))).rejects.toThrow(/can only bind/);
    await s.close();
    expect(schemaOf(path)).toEqual({ indexes: before.indexes, rows: 0 });
  });
});

describe('SQLite ledger scan', () => {
  it('reads every row once in (ts, id) order across pages, and holds no read open when left half way', async () => {
    const path = newPath();
    const s = openSqliteLedger(path);
    // Ten rows a second, so pages end inside a run of equal timestamps.
    const batch = Array.from({ length: 4500 }, (_, i) => sampleRow({ id: `r${String(4499 - i).padStart(4, '0')}`, ts: Date.UTC(2026, 10, 1) + Math.floor(i / 10) * 1000 }));
    await s.ledger.insert(batch);
    const seen: string[] = [];
    for await (const row of s.ledger.scan({ since: Date.UTC(2026, 10, 1) + 1000 })) seen.push(row.id);
    const want = batch.filter((r) => r.ts >= Date.UTC(2026, 10, 1) + 1000).sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1)).map((r) => r.id);
    expect(seen).toEqual(want);

    let n = 0;
    for await (const _row of s.ledger.scan({})) if (++n === 10) break;
    await s.ledger.insert([sampleRow({ id: 'later', ts: Date.UTC(2026, 10, 2) })]);
    // Another connection can checkpoint the whole WAL: no reader is left behind.
    const other = new Database(path);
    try {
      expect(other.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get()).toMatchObject({ busy: 0 });
    } finally {
      other.close();
    }
    await s.close();
  });

  it('reads the cache rows page by page while the same connection writes between pages', async () => {
    const s = openSqliteLedger(newPath());
    const t0 = Date.UTC(2026, 10, 1);
    // Ten rows a second, so pages end inside a run of equal timestamps; every seventh failed (not a cache row).
    const batch = Array.from({ length: 4500 }, (_, i) => sampleRow({ id: `c${String(i).padStart(4, '0')}`, ts: t0 + Math.floor(i / 10) * 1000, status: i % 7 === 0 ? 500 : 200 }));
    await s.ledger.insert(batch);
    const seen: string[] = [];
    let pages = 0;
    for await (const page of s.ledger.cacheRows({ since: t0 })) {
      seen.push(...page.map((r) => r.id));
      // The gateway's writer shares the connection: an insert between pages must not fail.
      expect(await s.ledger.insert([sampleRow({ id: `between${pages++}`, ts: t0 - 1000 })])).toBe(1);
    }
    expect(pages).toBeGreaterThan(1);
    expect(seen).toEqual(batch.filter((r) => r.status < 400).map((r) => r.id));
    await s.close();
  });
});
