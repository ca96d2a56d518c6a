import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LedgerRow } from '../src/core/ledger-row.js';
import { openSqlite } from '../src/storage/sqlite/sqlite-storage.js';
import { rng } from '../src/storage/testing/rows.js';
import { benchRow } from './reports.js';
import { median } from './stats.js';

// `npx tsx bench/ledger-insert.ts [--rows N]`: the CPU a gateway row costs to commit into a fresh
// SQLite ledger (batches of 200, as the ledger writer makes at a few thousand requests per
// second), with a random provider request id on every row, as real providers send, and with
// none. The difference is what the cross-source de-duplication costs the gateway's write path.
// CPU time rather than wall time, since the machine is shared; the variants alternate.
const ROWS = process.argv.includes('--rows') ? Number(process.argv[process.argv.indexOf('--rows') + 1]) : 150_000;
const BATCH = 200;
const ROUNDS = 5;
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const r = rng(7);
const base = Array.from({ length: ROWS }, (_, i) => ({ ...benchRow(i, 100_000_000, r), id: `01J${String(i).padStart(10, '0')}`, ts: Date.now() + i, sessionId: null }));
const variants: Record<string, (x: LedgerRow) => LedgerRow> = {
  'random upstream ids': (x) => ({ ...x, upstreamRequestId: `req_${randomBytes(12).toString('hex')}` }),
  'no upstream ids': (x) => ({ ...x, upstreamRequestId: null }),
};
const out: Record<string, number[]> = {};
for (let k = 0; k < ROUNDS; k++) {
  for (const [name, vary] of Object.entries(variants)) {
    const rows = base.map(vary);
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-ledger-insert-'));
    const s = openSqlite(join(dir, 'ledger.db'));
    try {
      // Not empty, as a running gateway's ledger is not: an empty one skips the cross-source lookup.
      await s.ledger.insert([{ ...rows[0]!, id: 'seed' }]);
      const t = cpuUs();
      for (let i = 0; i < ROWS; i += BATCH) await s.ledger.insert(rows.slice(i, i + BATCH));
      (out[name] ??= []).push((cpuUs() - t) / ROWS);
    } finally {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
for (const [name, v] of Object.entries(out)) process.stdout.write(`${name}: ${median(v).toFixed(1)} µs CPU per row (rounds ${v.map((x) => x.toFixed(1)).join(' ')})\n`);
