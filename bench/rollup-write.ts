import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { LedgerRow } from '../src/core/ledger-row.js';
import { rollupUpsertSql } from '../src/storage/rollup-sql.js';
import { type RollupDelta, rollupDeltas, rollupValues } from '../src/storage/rollup.js';
import { type RollupTable, isDaily } from '../src/storage/schema.js';
import { openSqlite } from '../src/storage/sqlite/sqlite-storage.js';
import { rng } from '../src/storage/testing/rows.js';
import { benchRow } from './reports.js';
import { median } from './stats.js';

// `npx tsx bench/rollup-write.ts [--rows N] [--batch B]`: the CPU a ledger row costs on the
// gateway's write path (the row and its rollups in one transaction, in the ledger writer's
// batches of up to 500) into a fresh SQLite file; of folding it into rollup deltas alone; and of
// the hourly and the daily rollups' upserts alone.
// CPU time rather than wall time, since the machine is shared. Run it on two checkouts to
// compare them.
const arg = (name: string, fallback: number) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback);
const ROWS = arg('--rows', 200_000);
const BATCH = arg('--batch', 500);
const ROUNDS = 5;

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** CPU µs per row of each tier's upserts alone, the batches' deltas applied in their own transactions. */
function upsertsByTier(path: string, deltas: RollupDelta[][]): { hourly: number; daily: number } {
  const db = new Database(path);
  const statements = new Map<RollupTable, Database.Statement>();
  const run = (d: RollupDelta) => {
    let st = statements.get(d.table);
    if (!st) statements.set(d.table, (st = db.prepare(rollupUpsertSql(d.table, () => '?'))));
    st.run(rollupValues(d));
  };
  const us = { hourly: 0, daily: 0 };
  for (const batch of deltas) {
    db.exec('BEGIN');
    for (const tier of ['hourly', 'daily'] as const) {
      const t = cpuUs();
      for (const d of batch) if (isDaily(d.table) === (tier === 'daily')) run(d);
      us[tier] += cpuUs() - t;
    }
    db.exec('COMMIT');
  }
  db.close();
  return { hourly: us.hourly / ROWS, daily: us.daily / ROWS };
}

async function round(batches: LedgerRow[][]): Promise<{ insertUs: number; foldUs: number; tiers: { hourly: number; daily: number } }> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-rollup-write-'));
  const storage = openSqlite(join(dir, 'ledger.db'));
  try {
    let t = cpuUs();
    for (const b of batches) rollupDeltas(b);
    const foldUs = (cpuUs() - t) / ROWS;
    t = cpuUs();
    for (const b of batches) await storage.ledger.insert(b);
    const insertUs = (cpuUs() - t) / ROWS;
    const blank = openSqlite(join(dir, 'upserts.db'));
    await blank.close();
    return { insertUs, foldUs, tiers: upsertsByTier(join(dir, 'upserts.db'), batches.map((b) => rollupDeltas(b))) };
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const r = rng(7);
// The reports benchmark's traffic and density (10 million rows over 30 days, about 14,000 an hour).
const rows = Array.from({ length: ROWS }, (_, i) => benchRow(i, 10_000_000, r));
const batches: LedgerRow[][] = [];
for (let i = 0; i < ROWS; i += BATCH) batches.push(rows.slice(i, i + BATCH));
const runs: Awaited<ReturnType<typeof round>>[] = [];
for (let k = 0; k < ROUNDS; k++) runs.push(await round(batches));
const m = (f: (x: (typeof runs)[number]) => number) => median(runs.map(f)).toFixed(2);
process.stdout.write(
  `${ROWS} rows in batches of ${BATCH}, CPU µs per row, median of ${ROUNDS}: insert ${m((x) => x.insertUs)} (rounds ${runs.map((x) => x.insertUs.toFixed(1)).join(' ')}), ` +
    `rollupDeltas ${m((x) => x.foldUs)}, hourly upserts ${m((x) => x.tiers.hourly)}, daily upserts ${m((x) => x.tiers.daily)}\n`,
);
