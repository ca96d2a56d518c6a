import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { LedgerRow } from '../src/core/ledger-row.js';
import type { Storage } from '../src/storage/ports.js';
import { rng } from '../src/storage/testing/rows.js';
import { benchRow } from './reports.js';

// `npx tsx bench/ledger-ab.ts ROOT_A ROOT_B [--mixed] [--rows N]`: the CPU a gateway row costs to
// commit into SQLite with two checkouts' ledger code, in one process, a batch of 250 rows to each
// in turn (the first turned each pair), each into its own fresh file. Interleaving batch by batch
// keeps the shared machine's changes of speed out of the ratio; the same checkout twice shows the
// harness's own error. Rows are a gateway's under the benchmark's load (one key, user and model)
// or, with --mixed, of many users, models and sessions.
const [rootA, rootB] = process.argv.slice(2, 4).map((p) => resolve(p));
if (!rootA || !rootB) throw new Error('usage: tsx bench/ledger-ab.ts ROOT_A ROOT_B [--mixed] [--rows N]');
const mixed = process.argv.includes('--mixed');
const ROWS = process.argv.includes('--rows') ? Number(process.argv[process.argv.indexOf('--rows') + 1]) : 200_000;
const BATCH = 250;
/** Batch pairs per chunk, for how often B was the cheaper. */
const CHUNK = 20;

type Open = (path: string) => Storage;
const openA = ((await import(join(rootA, 'src/storage/sqlite/sqlite-storage.ts'))) as { openSqlite: Open }).openSqlite;
const openB = ((await import(join(rootB, 'src/storage/sqlite/sqlite-storage.ts'))) as { openSqlite: Open }).openSqlite;

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const r = rng(9);
const one: LedgerRow = { ...benchRow(0, 100_000_000, rng(7)), tags: {}, sessionId: null };
const t0 = Date.now();
let seq = 0;
const batch = (): LedgerRow[] =>
  Array.from({ length: BATCH }, () => {
    const i = seq++;
    const base = mixed ? benchRow(i, 100_000_000, r) : one;
    return { ...base, id: `019${String(i).padStart(10, '0')}-aaaa-7bbb-8ccc-123456789012`, ts: t0 + Math.floor(i / 10), inputTokens: 10 + (i % 7), outputTokens: 20 + (i % 5), upstreamRequestId: `req_${i}` };
  });

const dir = mkdtempSync(join(tmpdir(), 'tollgate-ledger-ab-'));
const a = openA(join(dir, 'a.db'));
const b = openB(join(dir, 'b.db'));
try {
  // Not empty, as a running gateway's ledger is not.
  await a.ledger.insert([{ ...batch()[0]!, id: 'seed' }]);
  await b.ledger.insert([{ ...batch()[0]!, id: 'seed' }]);
  const timed = async (s: Storage, rows: LedgerRow[]) => {
    const t = cpuUs();
    await s.ledger.insert(rows);
    return cpuUs() - t;
  };
  const pairs: [number, number][] = [];
  for (let k = 0; k * 2 * BATCH < ROWS; k++) {
    const [ra, rb] = [batch(), batch()];
    if (k % 2 === 0) {
      const x = await timed(a, ra);
      pairs.push([x, await timed(b, rb)]);
    } else {
      const y = await timed(b, rb);
      pairs.push([await timed(a, ra), y]);
    }
  }
  const sum = (p: [number, number][], i: 0 | 1) => p.reduce((s, x) => s + x[i], 0);
  let cheaper = 0;
  let chunks = 0;
  for (let k = 0; k + CHUNK <= pairs.length; k += CHUNK, chunks++) if (sum(pairs.slice(k, k + CHUNK), 1) < sum(pairs.slice(k, k + CHUNK), 0)) cheaper++;
  const rows = pairs.length * BATCH;
  process.stdout.write(
    `A ${(sum(pairs, 0) / rows).toFixed(2)} µs CPU a row, B ${(sum(pairs, 1) / rows).toFixed(2)}, B/A ${(sum(pairs, 1) / sum(pairs, 0)).toFixed(3)}; B cheaper in ${cheaper} of ${chunks} chunks of ${CHUNK} batches\n`,
  );
} finally {
  await a.close();
  await b.close();
  rmSync(dir, { recursive: true, force: true });
}
