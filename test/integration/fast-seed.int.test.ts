import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { afterAll, describe, expect, it } from 'vitest';
import { benchRow } from '../../bench/reports.js';
import { rollupSql, seedLedger } from '../../bench/seed.js';
import type { LedgerRow } from '../../src/core/ledger-row.js';
import { ROLLUP_TABLES } from '../../src/storage/schema.js';
import { openSqlite } from '../../src/storage/sqlite/sqlite-storage.js';
import { rng } from '../../src/storage/testing/rows.js';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-fast-seed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ROWS = 6000;

/** The benchmarks' generator, varied so that every rollup measure and table gets values: errors, unpriced rows, pools, rows without a session. */
function rowOf(i: number): LedgerRow {
  const r = rng(i);
  const base = benchRow(i, ROWS, r);
  const failed = r() < 0.1;
  const unpriced = r() < 0.05;
  return {
    ...base,
    outcome: failed ? (r() < 0.5 ? 'upstream_error' : 'client_aborted') : 'ok',
    status: failed ? 502 : 200,
    unpriced,
    costPicos: unpriced ? null : base.costPicos,
    cacheWriteTokens: Math.floor(r() * 1000),
    cacheWrite1hTokens: Math.floor(r() * 100),
    reasoningTokens: Math.floor(r() * 500),
    toolCalls: Math.floor(r() * 3),
    pool: r() < 0.3 ? `pool${i % 3}` : r() < 0.1 ? '' : null,
    sessionId: r() < 0.1 ? null : base.sessionId,
    client: r() < 0.2 ? null : 'claude-code',
    tags: r() < 0.3 ? { ...base.tags, prompt_version: `v${i % 4}` } : base.tags,
    upstreamRequestId: `up${i}`,
  };
}

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

    expect(dump(fast, 'SELECT * FROM requests ORDER BY id')).toEqual(dump(viaGateway, 'SELECT * FROM requests ORDER BY id'));
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
