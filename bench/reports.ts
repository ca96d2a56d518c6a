import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Dimension, LedgerRow } from '../src/core/ledger-row.js';
import { runReport } from '../src/reports/report.js';
import type { Storage } from '../src/storage/ports.js';
import { openSqlite } from '../src/storage/sqlite/sqlite-storage.js';
import { rng, sampleRow } from '../src/storage/testing/rows.js';
import { seedLedger } from './seed.js';
import { median } from './stats.js';

// `npm run bench:reports [-- --rows N] [--keep] [--db PATH] [--seed]`: fills a SQLite ledger with N rows (10 million by
// default) through the same insert path the gateway uses (rows and hourly and daily rollups in one
// transaction), then times reports over it against the same grouping read from raw rows.
const argRows = process.argv.indexOf('--rows');
const ROWS = argRows > 0 ? Number(process.argv[argRows + 1]) : 10_000_000;
/** Keep the database afterwards (its path is printed), for looking into a slow query. */
const KEEP = process.argv.includes('--keep');
/** A ledger file to use: filled (and kept) when absent, else reused as it is (after a run with the same --rows). */
const argDb = process.argv.indexOf('--db');
const DB = argDb > 0 ? process.argv[argDb + 1] : undefined;
/** Fill with the fast seeder (bench/seed.ts: same rows and rollups, minutes instead of hours) rather than the gateway's insert path. */
const SEED = process.argv.includes('--seed');
const BATCH = 5000;
export const DAYS = 30;
const RUNS = 5;
export const START = Date.UTC(2026, 9, 1);

/** A stable pseudo-random fraction for an integer, so that a session keeps its user, model and workflow. */
function hash01(n: number, salt: number): number {
  let h = Math.imul(n ^ salt, 2654435761) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 2246822507) >>> 0;
  return ((h ^ (h >>> 13)) >>> 0) / 4294967296;
}

const MODELS = ['claude-sonnet-4-5', 'gpt-5', 'claude-opus-4-1', 'gemini-2.5-pro', 'gpt-5-mini'];

/**
 * Row `i` of `total` spread over DAYS days from START (shared with bench/analysis.ts).
 * Agent traffic: sessions of 50 requests, each session one user, mostly one model and one workflow.
 */
export function benchRow(i: number, total: number, r: () => number): LedgerRow {
  const session = Math.floor(i / 50);
  const user = Math.floor(hash01(session, 1) ** 2 * 400);
  const model = r() < 0.9 ? MODELS[Math.floor(hash01(session, 2) * MODELS.length)]! : MODELS[Math.floor(r() * MODELS.length)]!;
  const workflow = hash01(session, 3) < 0.7 ? `wf${Math.floor(hash01(session, 4) ** 3 * 40)}` : undefined;
  const input = 500 + Math.floor(r() * 40_000);
  const output = 50 + Math.floor(r() * 2000);
  return sampleRow({
    id: `r${i}`,
    ts: START + Math.floor((i / total) * DAYS * 86_400_000),
    model,
    modelRequested: model,
    keyId: `key_${user}`,
    user: `user${user}`,
    team: `team${user % 25}`,
    project: `project${user % 60}`,
    sessionId: `s${session}`,
    tags: workflow ? { workflow } : {},
    inputTokens: input,
    cacheReadTokens: Math.floor(input * r() * 0.8),
    outputTokens: output,
    costPicos: BigInt(input) * 3_000_000n + BigInt(output) * 15_000_000n,
  });
}

/**
 * Fills a ledger with `rows` generated rows through the gateway's insert path, `decorate`
 * adding to each; returns the seconds it took.
 */
export async function fillLedger(storage: Storage, rows: number, decorate: (row: LedgerRow, i: number) => LedgerRow = (x) => x): Promise<number> {
  const r = rng(42);
  const t0 = performance.now();
  for (let i = 0; i < rows; i += BATCH) {
    const batch: LedgerRow[] = [];
    for (let j = i; j < Math.min(rows, i + BATCH); j++) batch.push(decorate(benchRow(j, rows, r), j));
    await storage.ledger.insert(batch);
    if (i % 500_000 === 0) process.stdout.write(`${i.toLocaleString('en-US')} rows\n`);
  }
  return (performance.now() - t0) / 1000;
}

/** Wall and CPU milliseconds of a call (SQLite runs in this process, so its CPU time counts the queries' work on a busy machine). */
async function time(fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const c = process.cpuUsage();
  const t = performance.now();
  await fn();
  const d = process.cpuUsage(c);
  return { wall: performance.now() - t, cpu: (d.user + d.system) / 1000 };
}

async function main(): Promise<void> {
  const dir = DB ? undefined : mkdtempSync(join(tmpdir(), 'tollgate-reports-'));
  const path = DB ?? join(dir!, 'ledger.db');
  const reuse = DB !== undefined && existsSync(path);
  let fill: Fill | undefined = reuse ? (JSON.parse(readFileSync(`${path}.json`, 'utf8')) as Fill) : undefined;
  if (!fill && SEED) {
    const r = rng(42);
    fill = { writeS: seedLedger(path, ROWS, (i) => benchRow(i, ROWS, r), (line) => process.stdout.write(`${line}\n`)), seeded: true };
  }
  const storage = openSqlite(path);
  try {
    fill ??= { writeS: await fillLedger(storage, ROWS), seeded: false };
    if (DB && !reuse) writeFileSync(`${path}.json`, JSON.stringify(fill));
    const loadBefore = loadavg()[0]!;
    const sizeMb = statSync(path).size / 1e6;
    const since = START;
    const until = START + DAYS * 86_400_000;
    // An ISO --since cuts mid-hour, so the edges are read from raw rows as a real report's would be.
    const midHour = since + 17 * 60_000;
    // `raw`: the grouping as one SQL scan of the requests table, what a report costs without rollups.
    const cases: { name: string; by: Dimension[]; since: number; raw: string }[] = [
      { name: '30 days by team and model', by: ['team', 'model'], since, raw: 'team, model' },
      { name: '30 days by user, from mid-hour', by: ['user'], since: midHour, raw: 'user_name' },
      { name: '30 days by day', by: ['day'], since, raw: 'ts / 86400000' },
      { name: '30 days by tag:workflow', by: ['tag:workflow'], since, raw: "json_extract(tags, '$.workflow')" },
      { name: '30 days by session', by: ['session'], since, raw: 'session_id' },
    ];
    const db = new Database(path, { readonly: true });
    const results: Result[] = [];
    for (const c of cases) {
      const report: { wall: number; cpu: number }[] = [];
      for (let k = 0; k < RUNS; k++) report.push(await time(() => runReport(storage.ledger, { since: c.since, until, by: c.by })));
      const sql = `SELECT ${c.raw} AS k, count(*), sum(input_tokens), sum(cache_read_tokens), sum(output_tokens), sum(cost_picos) FROM requests WHERE ts >= ? AND ts < ? GROUP BY k`;
      const raw = await time(() => Promise.resolve(db.prepare(sql).all(c.since, until)));
      const r = { name: c.name, reportMs: median(report.map((x) => x.wall)), reportCpuMs: median(report.map((x) => x.cpu)), rawMs: raw.wall, rawCpuMs: raw.cpu };
      results.push(r);
      process.stdout.write(`${c.name}: report ${r.reportMs.toFixed(0)} ms (CPU ${r.reportCpuMs.toFixed(0)}), raw ${r.rawMs.toFixed(0)} ms (CPU ${r.rawCpuMs.toFixed(0)})\n`);
    }
    db.close();
    writeSection({ rows: ROWS, fill, sizeMb, results, load: [loadBefore, loadavg()[0]!] });
  } finally {
    await storage.close();
    if (KEEP || DB) process.stdout.write(`kept ${path}\n`);
    else rmSync(dir!, { recursive: true, force: true });
  }
}

const BEGIN = '<!-- reports benchmark: npm run bench:reports -->';
const END = '<!-- /reports benchmark -->';

/** How the ledger was filled: seconds, and whether by the fast seeder (older files lack `seeded`: the insert path). */
interface Fill {
  writeS: number;
  seeded?: boolean;
}

interface Result {
  name: string;
  reportMs: number;
  reportCpuMs: number;
  rawMs: number;
  rawCpuMs: number;
}

/** Replaces the reports section of docs/benchmarks.md (npm run bench keeps it). */
function writeSection(m: { rows: number; fill: Fill; sizeMb: number; results: Result[]; load: [number, number] }): void {
  const file = join(import.meta.dirname, '..', 'docs', 'benchmarks.md');
  const how = m.fill.seeded
    ? `seeded by bench/seed.ts (raw rows in large transactions, then indexes, then every rollup by one \`INSERT … SELECT … GROUP BY\`, equal to what the insert path writes)`
    : `filled through the gateway's own insert path (rows, hourly and daily rollups in one transaction, batches of ${BATCH})`;
  const written = m.fill.seeded ? 'Seeded' : 'Written';
  const section = `${BEGIN}
## Reports over ${m.rows.toLocaleString('en-US')} rows

Generated by \`npm run bench:reports\` on ${new Date().toISOString().slice(0, 10)}. A SQLite ledger
${how}: ${m.rows.toLocaleString('en-US')} rows
over ${DAYS} days, 400 users in 25 teams, sessions of 50 requests (each one user, 90% of its requests on its
main model of 5, 70% of sessions in one of 40 workflows). ${written} in ${m.fill.writeS.toFixed(0)} s (${Math.round(m.rows / m.fill.writeS).toLocaleString('en-US')} rows/s); the file is ${(m.sizeMb / 1000).toFixed(1)} GB.

*report* is \`tollgate report\`'s own query (the grouping plus the session and workflow concentration
line), median of ${RUNS}; *raw scan* is the grouping alone as one SQL \`GROUP BY\` over the raw rows of the
same window, what a report would cost without rollups, run once. Both run in the benchmark's process (SQLite
is in-process), so their CPU time is the work done, less sensitive than wall time to other load. The 1-minute load average of this 2-core machine was
${m.load[0].toFixed(2)} when the reports started and ${m.load[1].toFixed(2)} when they ended.

| report | report ms | raw scan ms | raw / report | report CPU ms | raw scan CPU ms | raw / report, CPU |
|---|---|---|---|---|---|---|
${m.results.map((r) => `| ${r.name} | ${r.reportMs.toFixed(0)} | ${r.rawMs.toFixed(0)} | ${(r.rawMs / r.reportMs).toFixed(1)}× | ${r.reportCpuMs.toFixed(0)} | ${r.rawCpuMs.toFixed(0)} | ${(r.rawCpuMs / r.reportCpuMs).toFixed(1)}× |`).join('\n')}
${END}`;
  let doc = readFileSync(file, 'utf8');
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  doc = a >= 0 && b > a ? doc.slice(0, a) + section + doc.slice(b + END.length) : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, doc);
}

/** This script's section of an existing docs/benchmarks.md, for `npm run bench` to carry over. */
export function reportsSection(doc: string): string {
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  return a >= 0 && b > a ? `
${doc.slice(a, b + END.length)}
` : '';
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
