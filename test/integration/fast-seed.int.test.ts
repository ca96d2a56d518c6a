import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { rollupSql, seedLedger } from '../../bench/seed.js';
import { ROLLUP_TABLES } from '../../src/storage/schema.js';
import { openSqlite } from '../../src/storage/sqlite/sqlite-storage.js';
import { variedRow } from '../support/seed-rows.js';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-fast-seed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ROWS = 6000;

const rowOf = (i: number) => variedRow(i, ROWS);

function dump(path: string, sql: string): unknown[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).safeIntegers().all();
  } finally {
    db.close();
  }
}

describe('the benchmarks fast seeder', () => {
  const viaGateway = join(dir, 'gateway.db');
  const fast = join(dir, 'fast.db');

  it('writes the rows and rollups the gateway insert path writes', async () => {
    const storage = openSqlite(viaGateway);
    for (let i = 0; i < ROWS; i += 500) await storage.ledger.insert(Array.from({ length: Math.min(500, ROWS - i) }, (_, j) => rowOf(i + j)));
    await storage.close();
    seedLedger(fast, ROWS, rowOf);

    // Not which write brought each row (arrival): seeded history is loaded in bulk, not written as it arrived.
    const rowsOf = (path: string) => dump(path, 'SELECT * FROM requests ORDER BY id').map((r) => ({ ...(r as Record<string, unknown>), arrival: undefined }));
    expect(rowsOf(fast)).toEqual(rowsOf(viaGateway));
    for (const table of ROLLUP_TABLES) {
      const all = `SELECT * FROM ${table} ORDER BY ${[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].join(', ')}`;
      const rows = dump(viaGateway, all);
      expect(rows.length, table).toBeGreaterThan(0);
      expect(dump(fast, all), table).toEqual(rows);
    }
    const indexes = "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name";
    expect(dump(fast, indexes)).toEqual(dump(viaGateway, indexes));
  });

  it('builds one rollup statement per table', () => {
    expect(rollupSql()).toHaveLength(ROLLUP_TABLES.length);
  });
});
