import { expect, it } from 'vitest';
import { type TypeMap, rollupUpsertSql, schemaV1 } from '../ddl.js';
import type { Storage } from '../ports.js';
import { measureValues, rollupDeltas } from '../rollup.js';
import { REQUEST_COLUMNS_V1, rowValues } from '../schema.js';
import { sampleRow } from './contract.js';

/** A database with nothing in it yet, reached below the storage port, and the way to open it with the current code. */
export interface BlankDatabase {
  types: TypeMap;
  param: (i: number) => string;
  /** Booleans as the engine stores them. */
  bool: (b: boolean) => unknown;
  exec(sql: string, params?: unknown[]): Promise<void>;
  /** Ends the raw connection. */
  close(): Promise<void>;
  /** Opens the same database through the storage port (which migrates it). */
  open(): Promise<Storage>;
}

/** Databases made by earlier versions open with the current code. Call inside a describe(). */
export function upgradeContract(blank: () => Promise<BlankDatabase>): void {
  it('upgrades a version 1 database: old rows read back with no pool or routing rule, and reports by pool count them', async () => {
    const db = await blank();
    const params = (n: number) => Array.from({ length: n }, (_, i) => db.param(i + 1)).join(', ');
    // What version 1 of Tollgate created and wrote: its schema, a row and that row's rollups.
    await db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
    for (const sql of schemaV1(db.types)) await db.exec(sql);
    await db.exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (${params(2)})`, [1, 1_000]);
    const old = sampleRow({ id: 'v1-row', tags: { workflow: 'review' }, costPicos: 2_025_000_000n });
    const values = rowValues(old, db.bool).slice(0, REQUEST_COLUMNS_V1.length);
    await db.exec(`INSERT INTO requests (${REQUEST_COLUMNS_V1.join(', ')}) VALUES (${params(values.length)})`, values);
    for (const d of rollupDeltas([old])) await db.exec(rollupUpsertSql(d.table, db.param), [...d.key, ...measureValues(d.totals)]);
    await db.close();

    const s = await db.open();
    expect(await s.ledger.get('v1-row')).toEqual({ ...old, pool: null });
    const fresh = sampleRow({ id: 'v2-row', pool: 'platform-pool', costPicos: 7n, routeRule: 'small-to-haiku', routeMode: 'enforce', routeSavingPicos: 3n });
    expect(await s.ledger.insert([fresh])).toBe(1);
    const byPool = await s.ledger.aggregate({ by: ['pool', 'user'] });
    expect(byPool.map((r) => [r.keys, r.requests, r.costPicos])).toEqual(
      expect.arrayContaining([
        [['', 'alice'], 1, 2_025_000_000n],
        [['platform-pool', 'alice'], 1, 7n],
      ]),
    );
    expect(byPool).toHaveLength(2);
    expect(await s.ledger.ruleTotals({})).toEqual([expect.objectContaining({ rule: 'small-to-haiku', mode: 'enforce', requests: 1, savingPicos: 3n })]);
    expect(await s.policy.claimAlert('after-upgrade', 1)).toBe(true);
    await s.close();

    // Opening again finds nothing left to migrate.
    const again = await db.open();
    expect(await again.ledger.get('v2-row')).toEqual(fresh);
    await again.close();
  });
}
