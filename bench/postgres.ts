import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { SeriesReader } from '../src/anomalies/inputs.js';
import { evaluate } from '../src/anomalies/evaluate.js';
import { defaultAnomalySettings } from '../src/anomalies/types.js';
import { rowPricer, runCacheReport } from '../src/cache-analysis/report.js';
import type { LedgerRow } from '../src/core/ledger-row.js';
import { createPricer } from '../src/pricing/index.js';
import { runReport } from '../src/reports/report.js';
import type { LedgerStore, Storage } from '../src/storage/ports.js';
import { openPostgres } from '../src/storage/postgres/postgres-storage.js';
import { openSqlite } from '../src/storage/sqlite/sqlite-storage.js';
import { rng } from '../src/storage/testing/rows.js';
import { NOW, benchRates, explainTwoWeeks, hotRow } from './analysis.js';
import { withPrefix } from './cache-report.js';
import { DAYS, START, benchRow } from './reports.js';
import { seedPostgres } from './seed-postgres.js';
import { seedLedger } from './seed.js';
import { writeMarkedSection } from './sections.js';
import { median } from './stats.js';

// `npm run bench:postgres [-- --rows N] [--hot-rps R] [--keep]`: the same generated ledger (N rows, 1 million by
// default, each with a hashed prompt prefix as bench/cache-report.ts writes them, plus bench/analysis.ts's live
// window of the last 30 minutes at R requests a second, 100 by default) seeded into SQLite (bench/seed.ts) and
// Postgres (bench/seed-postgres.ts, database tollgate_bench, dropped afterwards unless --keep), then reports,
// the concentration line, the cache report, explain and a detector evaluation timed on both, alternating.
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const ROWS = Number(arg('--rows') ?? 1_000_000);
const HOT_RPS = Number(arg('--hot-rps') ?? 100);
const HOT_ROWS = Math.round(HOT_RPS * 30 * 60);
const KEEP = process.argv.includes('--keep');
const ADMIN_URL = process.env.TOLLGATE_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DATABASE = 'tollgate_bench';
const RUNS = 5;
/** Runs of the cache report, which reads every row (about half a minute a run per million rows): fewer at 10 million. */
const CACHE_RUNS = Number(arg('--cache-runs') ?? RUNS);
const UNTIL = START + DAYS * 86_400_000;

/** The ledger's rows, the same for both backends (a fresh generator each time: rows are drawn in order). */
function rows(): (i: number) => LedgerRow {
  const r = rng(42);
  return (i) => (i < ROWS ? withPrefix(benchRow(i, ROWS, r), i) : hotRow(i - ROWS, HOT_ROWS, r));
}

const PRICE = rowPricer(createPricer(), (p) => (p === 'anthropic' ? 'anthropic' : undefined));
const RATES = benchRates();
const CASES: { name: string; run: (l: LedgerStore) => Promise<unknown>; runs?: number }[] = [
  ...(['team', 'model', 'day', 'session'] as const).map((by) => ({ name: `report, ${DAYS} days by ${by}`, run: (l: LedgerStore) => runReport(l, { since: START, until: UNTIL, by: [by] }) })),
  {
    name: `concentration line (topShare by session and by tag:workflow, ${DAYS} days)`,
    run: (l) => Promise.all([l.topShare({ since: START, until: UNTIL, by: 'session' }), l.topShare({ since: START, until: UNTIL, by: 'tag:workflow' })]),
  },
  { name: `cache report by workflow, ${DAYS} days`, run: (l) => runCacheReport(l, { since: START, until: UNTIL, by: 'workflow', price: PRICE }), runs: CACHE_RUNS },
  { name: 'explain: 7 days against the 7 before', run: (l) => explainTwoWeeks(l, RATES) },
  { name: 'all anomaly detectors, one cold evaluation', run: (l) => evaluate(new SeriesReader(l), NOW, defaultAnomalySettings(), RATES) },
];

/** CPU ticks (1/100 s) of a process: its own, and (for the postmaster) that of its children that ended. */
function ticks(pid: number): { own: number; children: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name, from the state (field 3) on: utime and stime are 14 and 15, cutime and cstime 16 and 17.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { own: Number(f[11]) + Number(f[12]), children: Number(f[13]) + Number(f[14]) };
  } catch {
    return undefined;
  }
}

/**
 * The Postgres server's CPU milliseconds: the bench database's backends (the probe's own left out), and the
 * postmaster's ended children (parallel workers, and any backend that closed, the machine's others too).
 */
async function serverCpu(probe: pg.Client, postmaster: number): Promise<{ backends: Map<number, number>; reaped: number }> {
  const { rows } = await probe.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
  const backends = new Map<number, number>();
  for (const { pid } of rows) {
    const t = ticks(pid);
    if (t) backends.set(pid, t.own);
  }
  return { backends, reaped: ticks(postmaster)?.children ?? 0 };
}

function cpuBetween(a: Awaited<ReturnType<typeof serverCpu>>, b: Awaited<ReturnType<typeof serverCpu>>): number {
  let t = b.reaped - a.reaped;
  for (const [pid, own] of b.backends) t += own - (a.backends.get(pid) ?? 0);
  for (const [pid, own] of a.backends) if (!b.backends.has(pid)) t -= own;
  return t * 10;
}

interface Timing {
  ms: number;
  cpuMs: number;
  serverMs: number;
}

async function main(): Promise<void> {
  const load: number[] = [loadavg()[0]!];
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-pgbench-'));
  const path = join(dir, 'ledger.db');
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DATABASE}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  let sqlite: Storage | undefined;
  let postgres: Storage | undefined;
  const probe = new pg.Client({ connectionString: url.toString() });
  try {
    const total = ROWS + HOT_ROWS;
    log('seeding SQLite');
    const sqliteS = seedLedger(path, total, rows(), log);
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE}`);
    await admin.query(`CREATE DATABASE ${DATABASE}`);
    log('seeding Postgres');
    const postgresS = await seedPostgres({ url: url.toString() }, total, rows(), log);
    sqlite = openSqlite(path);
    postgres = await openPostgres({ url: url.toString() });
    await probe.connect();
    const size = (await probe.query<{ b: string }>('SELECT pg_database_size(current_database()) AS b')).rows[0]!.b;
    const backend = Number((await probe.query<{ p: number }>('SELECT pg_backend_pid() AS p')).rows[0]!.p);
    const postmaster = Number(readFileSync(`/proc/${backend}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
    load.push(loadavg()[0]!);
    const results: { name: string; sqlite: Timing; postgres: Timing }[] = [];
    for (const c of CASES) {
      const runs: { sqlite: Timing[]; postgres: Timing[] } = { sqlite: [], postgres: [] };
      for (let k = 0; k < (c.runs ?? RUNS); k++) {
        for (const [name, s] of [['sqlite', sqlite], ['postgres', postgres]] as const) {
          const before = name === 'postgres' ? await serverCpu(probe, postmaster) : undefined;
          const cpu = process.cpuUsage();
          const t = performance.now();
          await c.run(s.ledger);
          const ms = performance.now() - t;
          const d = process.cpuUsage(cpu);
          const serverMs = before ? cpuBetween(before, await serverCpu(probe, postmaster)) : 0;
          runs[name].push({ ms, cpuMs: (d.user + d.system) / 1000, serverMs });
        }
      }
      const med = (ts: Timing[]): Timing => ({ ms: median(ts.map((t) => t.ms)), cpuMs: median(ts.map((t) => t.cpuMs)), serverMs: median(ts.map((t) => t.serverMs)) });
      const r = { name: c.name, sqlite: med(runs.sqlite), postgres: med(runs.postgres) };
      results.push(r);
      log(`${c.name}: SQLite ${r.sqlite.ms.toFixed(0)} ms (CPU ${r.sqlite.cpuMs.toFixed(0)}), Postgres ${r.postgres.ms.toFixed(0)} ms (Node CPU ${r.postgres.cpuMs.toFixed(0)}, server CPU ${r.postgres.serverMs.toFixed(0)}); load ${loadavg()[0]!.toFixed(2)}`);
    }
    load.push(loadavg()[0]!);
    writeSection({ total, sqliteS, postgresS, sqliteMb: statSync(path).size / 1e6, postgresMb: Number(size) / 1e6, results, load });
  } finally {
    await sqlite?.close();
    await postgres?.close();
    await probe.end().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    if (KEEP) log(`kept database ${DATABASE}`);
    else await admin.query(`DROP DATABASE IF EXISTS ${DATABASE}`);
    await admin.end();
  }
}

function writeSection(o: { total: number; sqliteS: number; postgresS: number; sqliteMb: number; postgresMb: number; results: { name: string; sqlite: Timing; postgres: Timing }[]; load: number[] }): void {
  const n = (x: number) => x.toFixed(0);
  const rate = (s: number) => Math.round(o.total / s).toLocaleString('en-US');
  const options = [...(ROWS === 1_000_000 ? [] : [`--rows ${ROWS}`]), ...(HOT_RPS === 100 ? [] : [`--hot-rps ${HOT_RPS}`]), ...(CACHE_RUNS === RUNS ? [] : [`--cache-runs ${CACHE_RUNS}`])];
  // The 1-million-row run and the 10-million-row one each keep their own section.
  writeMarkedSection(
    ROWS >= 10_000_000 ? 'postgres-10m' : 'postgres',
    `## Postgres and SQLite over ${ROWS.toLocaleString('en-US')} rows

Generated by \`npm run bench:postgres${options.length ? ` -- ${options.join(' ')}` : ''}\` on ${new Date().toISOString().slice(0, 10)}, on this 2-core machine shared with other work;
the 1-minute load average was ${o.load[0]!.toFixed(2)} before seeding, ${o.load[1]!.toFixed(2)} when the timings started and ${o.load[2]!.toFixed(2)} when they ended.
Both backends hold the same rows: bench/reports.ts's generator (${ROWS.toLocaleString('en-US')} rows over ${DAYS} days, 400 users in 25 teams,
sessions of 50 requests, 40 workflows), each row with bench/cache-report.ts's hashed prompt prefix, plus bench/analysis.ts's live
window (the last 30 minutes before the evaluation clock at ${HOT_RPS} requests a second, ${HOT_ROWS.toLocaleString('en-US')} rows): ${o.total.toLocaleString('en-US')} in all.
SQLite was seeded by bench/seed.ts in ${n(o.sqliteS)} s (${rate(o.sqliteS)} rows/s; ${(o.sqliteMb / 1000).toFixed(1)} GB), Postgres 15 (the
machine's stock settings: shared_buffers 128 MB, work_mem 4 MB, up to 2 parallel workers a query) by bench/seed-postgres.ts in
${n(o.postgresS)} s (${rate(o.postgresS)} rows/s; ${(o.postgresMb / 1000).toFixed(1)} GB, then VACUUM ANALYZE). Both seeders write the rollups the insert path writes (their tests compare them).

Each figure is the median of ${RUNS} runs${CACHE_RUNS === RUNS ? '' : ` (the cache report: ${CACHE_RUNS === 1 ? 'one run' : `${CACHE_RUNS} runs`})`}, the two backends alternating run by run, in one process. *CPU* is the benchmark
process's (process.cpuUsage): for SQLite, which runs in the process, all the work; for Postgres, only the client's share (the
driver parsing rows, the report's own work). *server CPU* is the Postgres processes' user and system time from /proc: the
benchmark database's backends, plus the children the postmaster reaped meanwhile (parallel workers; also any other client's
backend that closed, so it can overstate), at 10 ms resolution.

| query | SQLite ms | SQLite CPU ms | Postgres ms | Postgres client CPU ms | Postgres server CPU ms | Postgres / SQLite, wall |
|---|---|---|---|---|---|---|
${o.results.map((r) => `| ${r.name} | ${n(r.sqlite.ms)} | ${n(r.sqlite.cpuMs)} | ${n(r.postgres.ms)} | ${n(r.postgres.cpuMs)} | ${n(r.postgres.serverMs)} | ${(r.postgres.ms / r.sqlite.ms).toFixed(2)}× |`).join('\n')}`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
