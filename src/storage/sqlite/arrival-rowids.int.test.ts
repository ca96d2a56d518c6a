import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrations } from '../migrations.js';
import { REQUEST_COLUMNS, rowValues } from '../schema.js';
import { sampleRow } from '../testing/rows.js';
import { SQLITE_TYPES, openSqlite } from './sqlite-storage.js';

const MIN = 60_000;
const t = Date.UTC(2026, 10, 20, 12);
const q = { tsBefore: t + 3_600_000, bucketMs: MIN };

/** The ledger's columns at version 22: service_tier (version 30) came later. */
const V22_COLUMNS = REQUEST_COLUMNS.slice(0, REQUEST_COLUMNS.indexOf('service_tier'));

/** Inserts a row as version 22 did: the next rowid, and the arrival number given. */
function insertAsVersion22(db: Database.Database): (id: string, ts: number, arrival: number | null) => void {
  const cols = [...V22_COLUMNS, 'arrival'];
  const insert = db.prepare(`INSERT INTO requests (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
  return (id, ts, arrival) => void insert.run([...rowValues(sampleRow({ id, ts }), (b) => (b ? 1 : 0)).slice(0, V22_COLUMNS.length), arrival]);
}

/** A ledger as version 22 left it: rows numbered by the write that brought them, and a saved scheduler cursor. */
function version22(cursor: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tollgate-arrival-')), 'test.db');
  const db = new Database(path);
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  for (const m of migrations(SQLITE_TYPES).filter((x) => x.version <= 22)) {
    for (const sql of m.statements) db.exec(sql);
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(m.version, 1_000);
  }
  const write = insertAsVersion22(db);
  write('before-v19', t - 50 * MIN, null);
  write('seen-1', t - 40 * MIN, 1);
  write('seen-2', t - 30 * MIN, 1);
  write('unseen', t - 20 * MIN, 2);
  db.exec('UPDATE ledger_arrival SET n = 2');
  db.prepare("INSERT INTO anomaly_cursor (name, cursor, owed, saved_at) VALUES ('live', ?, '[]', 1)").run(cursor);
  db.close();
  return path;
}

describe('SQLite: the rows a write brought, by rowid (schema version 23)', () => {
  it('keeps a saved cursor where it stood: after the upgrade it finds the rows it had not seen, and those written since, once', async () => {
    const path = version22('1');
    const s = openSqlite(path);
    const saved = await s.ledger.watchCursor();
    expect(saved?.owed).toBe('[]');
    const r1 = await s.ledger.arrivedSince(saved!.cursor, q);
    expect(r1.buckets).toEqual([t - 20 * MIN]);
    await s.ledger.insert([sampleRow({ id: 'new', ts: t - 10 * MIN })]);
    const r2 = await s.ledger.arrivedSince(r1.cursor, q);
    expect(r2.buckets).toEqual([t - 10 * MIN]);
    expect((await s.ledger.arrivedSince(r2.cursor, q)).buckets).toEqual([]);
    await s.close();
    const raw = new Database(path);
    expect(raw.prepare("SELECT name FROM sqlite_master WHERE name = 'requests_arrival'").all()).toEqual([]);
    raw.close();
  });

  it('resumes from everything when the saved cursor had seen every row, and drops one ahead of the writes', async () => {
    const all = openSqlite(version22('2'));
    const c = (await all.ledger.watchCursor())!.cursor;
    expect((await all.ledger.arrivedSince(c, q)).buckets).toEqual([]);
    await all.close();
    const ahead = openSqlite(version22('9'));
    expect(await ahead.ledger.watchCursor()).toBeUndefined();
    await ahead.close();
  });

  it('takes rowids above rows written without taking them (an older Tollgate on the same file), and finds both', async () => {
    const path = version22('2');
    const s = openSqlite(path);
    const c0 = await s.ledger.arrivalCursor();
    const raw = new Database(path);
    insertAsVersion22(raw)('old-writer', t - 5 * MIN, 3);
    raw.close();
    await s.ledger.insert([sampleRow({ id: 'after', ts: t - 4 * MIN })]);
    expect(await s.ledger.get('after')).toBeDefined();
    expect((await s.ledger.arrivedSince(c0, q)).buckets).toEqual([t - 5 * MIN, t - 4 * MIN]);
    await s.close();
  });

  it('a first cursor on a ledger whose rows never took their numbers (a seeded file) stands after them: none of them is late', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tollgate-arrival-')), 'seeded.db');
    await openSqlite(path).close();
    const raw = new Database(path);
    const cols = [...REQUEST_COLUMNS];
    const insert = raw.prepare(`INSERT INTO requests (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
    for (let i = 0; i < 50; i++) insert.run(rowValues(sampleRow({ id: `seeded-${i}`, ts: t - i * MIN }), (b) => (b ? 1 : 0)));
    raw.close();
    const s = openSqlite(path);
    const c0 = await s.ledger.arrivalCursor();
    expect((await s.ledger.arrivedSince(c0, q)).buckets).toEqual([]);
    await s.ledger.insert([sampleRow({ id: 'live', ts: t - 2 * MIN })]);
    expect((await s.ledger.arrivedSince(c0, q)).buckets).toEqual([t - 2 * MIN]);
    await s.close();
  });
});

