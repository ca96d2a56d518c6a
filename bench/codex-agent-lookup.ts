import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LedgerRow } from '../src/core/ledger-row.js';
import { openPostgres } from '../src/storage/postgres/postgres-storage.js';
import type { Storage } from '../src/storage/ports.js';
import { openSqlite } from '../src/storage/sqlite/sqlite-storage.js';
import { rng, sampleRow } from '../src/storage/testing/rows.js';
import { benchRow } from './reports.js';
import { median } from './stats.js';

// `npx tsx bench/codex-agent-lookup.ts [--rows N] [--writes W] [--pg URL]`: what the sub-agent lookup
// (cross-source.ts, agentRanges) costs a Codex telemetry row that no row of its session repeats (every
// call made straight to the provider): the gateway rows of ±15 minutes read through requests_ts, the
// tags of those with its input count read. N gateway rows in one 30-minute window (a tenth tagged with a
// sub-agent's thread), then W batches of codex-otel rows written at its middle (of 1 row, the receiver's
// smallest, and of 50), each row of a session of its own; against the same for otel-genai rows without
// ids, which read their session's gateway rows alone. Wall time per batch, median.
const arg = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : fallback);
const ROWS = Number(arg('--rows', '100000'));
const WRITES = Number(arg('--writes', '200'));
const PG = arg('--pg', '');
const WINDOW = 30 * 60_000;
const T0 = Date.UTC(2026, 10, 20, 12, 0, 0);

const r = rng(11);
const gateway: LedgerRow[] = Array.from({ length: ROWS }, (_, i) => {
  const row = benchRow(i, ROWS, r);
  row.ts = T0 + Math.floor((i / ROWS) * WINDOW);
  row.upstreamRequestId = `req_${i}`;
  if (i % 10 === 0) row.tags = { ...row.tags, agent_id: `thread-${i}`, parent_agent_id: row.sessionId ?? '' };
  return row;
});

/** Median wall ms of writing WRITES batches of `size` rows of `source`, each row of a session of its own. */
async function writes(s: Storage, source: string, pass: number, size: number): Promise<number> {
  const times: number[] = [];
  for (let k = 0; k < WRITES; k++) {
    const batch = Array.from({ length: size }, (_, j) =>
      sampleRow({ id: `${source}-${size}-${pass}-${k}-${j}`, ts: T0 + WINDOW / 2 + k, source, client: 'codex', sessionId: `${source}-thread-${size}-${pass}-${k}-${j}`, upstreamRequestId: null, responseId: null, inputTokens: 500 + Math.floor(r() * 40_000), outputTokens: 50 + Math.floor(r() * 2000) }),
    );
    const t = performance.now();
    await s.ledger.insert(batch);
    times.push(performance.now() - t);
  }
  return median(times);
}

async function measure(label: string, open: () => Promise<Storage>): Promise<void> {
  const s = await open();
  try {
    for (let i = 0; i < ROWS; i += 500) await s.ledger.insert(gateway.slice(i, i + 500));
    // Alternated, twice each: a cold cache would favour whichever ran second.
    for (const size of [1, 50]) {
      const out: Record<string, number[]> = { 'otel-genai': [], 'codex-otel': [] };
      for (let k = 0; k < 2; k++) for (const source of Object.keys(out)) out[source]!.push(await writes(s, source, k, size));
      const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');
      process.stdout.write(`${label}: ${ROWS} gateway rows in 30 minutes; a batch of ${size} (sessions of their own) at its middle, median ms of ${WRITES}: otel-genai (session lookup only) ${fmt(out['otel-genai']!)}, codex-otel (session + sub-agent lookup) ${fmt(out['codex-otel']!)}\n`);
    }
  } finally {
    await s.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'tollgate-agent-lookup-'));
try {
  await measure('SQLite', () => Promise.resolve(openSqlite(join(dir, 'ledger.db'))));
  if (PG) await measure('Postgres', () => openPostgres({ url: PG, schema: `bench_agent_${Date.now()}`, maxConnections: 2 }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
