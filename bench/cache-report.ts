import { writeMarkedSection } from './sections.js';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePrefix, hashPrefix } from '../src/cache-analysis/prefix.js';
import { CacheAnalyser } from '../src/cache-analysis/analyse.js';
import { rowPricer, runCacheReport } from '../src/cache-analysis/report.js';
import type { LedgerRow } from '../src/core/ledger-row.js';
import { createPricer } from '../src/pricing/index.js';
import { runReport } from '../src/reports/report.js';

import { cacheRowSelect } from '../src/storage/schema.js';
import { openSqlite } from '../src/storage/sqlite/sqlite-storage.js';
import { rng } from '../src/storage/testing/rows.js';
import { DAYS, START, benchRow } from './reports.js';
import { seedLedger } from './seed.js';
import { median } from './stats.js';

// `npm run bench:cache-report [-- --rows N] [--db PATH]`: the reports benchmark's generated ledger
// (10 million rows by default), each row with a hashed prompt prefix, written by the fast seeder
// (bench/seed.ts), then `tollgate cache-report` timed against a plain scan of the same rows and
// the rollup-served `tollgate report` by workflow. --db reuses (or keeps) a seeded ledger;
// --seed-only stops once it is written.
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const ROWS = Number(arg('--rows') ?? 10_000_000);
const DB = arg('--db');
/** Only write the ledger (with --db), to measure it later. */
const SEED_ONLY = process.argv.includes('--seed-only');
const RUNS = Number(arg('--runs') ?? 3);
/** Also time the read path before cacheRows (whole rows): off with --no-whole, for a ledger where one pass takes too long. */
const WHOLE = !process.argv.includes('--no-whole');
const SESSION = 50;
const MAX_TURNS = 40;

function hex(n: number, salt: number): string {
  let h = Math.imul(n ^ salt, 2654435761) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 2246822507) >>> 0;
  return ((h ^ (h >>> 13)) >>> 0).toString(16).padStart(8, '0');
}

const block = (kind: string, a: number, b: number, tokens: number) => `["${kind}","${hex(a, b)}${hex(b, a + 7)}",${tokens}]`;
/** Four tools and two system blocks per workflow; workflows wf0 to wf2 put the time in system block 0. */
const staticPart = new Map<string, string>();
function staticOf(workflow: string, i: number): string {
  const w = Number(workflow.slice(2)) || 999;
  if (w < 3) return [0, 1, 2, 3].map((t) => block('t', w, t, 300)).join(',') + ',' + block('s', i, 99, 40) + ',' + block('s', w, 98, 3000);
  let s = staticPart.get(workflow);
  if (s === undefined) staticPart.set(workflow, (s = [0, 1, 2, 3].map((t) => block('t', w, t, 300)).join(',') + ',' + block('s', w, 97, 40) + ',' + block('s', w, 98, 3000)));
  return s;
}

/** A Claude Code-like prefix: tools, system, then the conversation so far (breakpoints on the system prompt and the last turn). */
export function withPrefix(row: LedgerRow, i: number): LedgerRow {
  const session = Math.floor(i / SESSION);
  const turn = i % SESSION;
  const messages = Math.min(turn + 1, MAX_TURNS);
  const parts = [staticOf(row.tags.workflow ?? 'none', i)];
  for (let j = 0; j < messages; j++) parts.push(block('m', session, j, 200));
  const n = 6 + messages;
  const prefix = `{"v":1,"n":${n},"b":[${parts.join(',')}],"bp":[[5,"default"],[${n - 1},"default"]],"e":${4 * 300 + 3040 + messages * 200}}`;
  const write = Math.floor(row.inputTokens * (turn === 0 ? 0.15 : 0.02));
  return { ...row, provider: 'anthropic', prefix, cacheWriteTokens: write };
}

/** A Claude Code-sized request: 30 tools, a 12 KB system prompt, 120 message blocks (about 130 KB). */
function bigRequest(): string {
  const tools = Array.from({ length: 30 }, (_, i) => ({ name: `tool_${i}`, description: 'Does a thing. '.repeat(40), input_schema: { type: 'object', properties: { path: { type: 'string' }, limit: { type: 'number' } } } }));
  const system = [{ type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.330.abc; cc_entrypoint=cli;' }, { type: 'text', text: 'You are a coding agent. '.repeat(500), cache_control: { type: 'ephemeral' } }];
  const messages = Array.from({ length: 60 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: [{ type: 'text', text: `Turn ${i}: ` + 'some code and some prose '.repeat(40) }, { type: 'text', text: 'more' }] }));
  return JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 8192, stream: true, tools, system, messages });
}

/** Microseconds per call: hashing a parsed request against parsing it (which the gateway does anyway). */
function hashingCost(): { bytes: number; hashUs: number; parseUs: number } {
  const text = bigRequest();
  const json: unknown = JSON.parse(text);
  const per = (fn: () => unknown) => {
    const ms: number[] = [];
    for (let k = 0; k < 7; k++) {
      const t = performance.now();
      for (let i = 0; i < 200; i++) fn();
      ms.push(((performance.now() - t) * 1000) / 200);
    }
    return median(ms);
  };
  per(() => encodePrefix(hashPrefix('anthropic.messages', json)!));
  return { bytes: Buffer.byteLength(text), hashUs: per(() => encodePrefix(hashPrefix('anthropic.messages', json)!)), parseUs: per(() => JSON.parse(text)) };
}

/** Wall and CPU milliseconds of one call (CPU: this process, every thread). */
async function time(fn: () => Promise<unknown>): Promise<Timing> {
  const t = performance.now();
  const c = process.cpuUsage();
  await fn();
  const cpu = process.cpuUsage(c);
  return { ms: performance.now() - t, cpuMs: (cpu.user + cpu.system) / 1000 };
}

interface Timing {
  ms: number;
  cpuMs: number;
}

async function main(): Promise<void> {
  const dir = DB ? undefined : mkdtempSync(join(tmpdir(), 'tollgate-cache-report-'));
  const path = DB ?? join(dir!, 'ledger.db');
  // A reused ledger keeps the seeding time of the run that wrote it.
  const seedNote = `${path}.seeded.json`;
  if (!existsSync(path)) {
    const r = rng(42);
    const seconds = seedLedger(path, ROWS, (i) => withPrefix(benchRow(i, ROWS, r), i), (line) => process.stdout.write(`${line}\n`));
    writeFileSync(seedNote, JSON.stringify({ seconds, rows: ROWS }));
  }
  if (SEED_ONLY) return;
  const seeded = JSON.parse(readFileSync(seedNote, 'utf8')) as { seconds: number; rows: number };
  if (seeded.rows !== ROWS) throw new Error(`${path} holds ${seeded.rows} rows, not ${ROWS}`);
  const writeS = seeded.seconds;
  const storage = openSqlite(path);
  try {
    const hashing = hashingCost();
    process.stdout.write(`hashing: ${hashing.hashUs.toFixed(0)} µs, parse: ${hashing.parseUs.toFixed(0)} µs for ${hashing.bytes} bytes\n`);
    const sizeMb = statSync(path).size / 1e6;
    const since = START;
    const until = START + DAYS * 86_400_000;
    const price = rowPricer(createPricer(), (p) => (p === 'anthropic' ? 'anthropic' : undefined));
    const measure = async (name: string, fn: () => Promise<unknown>): Promise<Timing> => {
      const runs: Timing[] = [];
      for (let k = 0; k < RUNS; k++) runs.push(await time(fn));
      const t = { ms: median(runs.map((r) => r.ms)), cpuMs: median(runs.map((r) => r.cpuMs)) };
      process.stdout.write(`${name}: ${t.ms.toFixed(0)} ms, CPU ${t.cpuMs.toFixed(0)} ms (load ${loadavg()[0]!.toFixed(1)})\n`);
      return t;
    };
    let findings = 0;
    const window = { since, until };
    const count = async (rows: AsyncIterable<unknown>) => {
      let n = 0;
      for await (const b of rows) n += Array.isArray(b) ? b.length : 1;
      return n;
    };
    // The read path before: whole ledger rows (38 columns, the prefix among them) fed to the same analyser.
    const wholeReport = async () => {
      const a = new CacheAnalyser({ ...window, by: 'workflow', price });
      for await (const row of storage.ledger.scan(window)) a.add(row);
      return a.finish();
    };
    const none = { ms: 0, cpuMs: 0 };
    const m: Measured = { scan: undefined, whole: undefined, cacheRows: none, report: none, cacheReport: none };
    if (WHOLE) m.scan = await measure('scan (whole rows)', () => count(storage.ledger.scan(window)));
    m.cacheRows = await measure('cacheRows', () => count(storage.ledger.cacheRows(window)));
    if (WHOLE) m.whole = await measure('cache-report --by workflow, whole rows', wholeReport);
    m.cacheReport = await measure('cache-report --by workflow', async () => {
      findings = (await runCacheReport(storage.ledger, { ...window, by: 'workflow', price })).findings.length;
    });
    m.report = await measure('report --by tag:workflow', () => runReport(storage.ledger, { since, until, by: ['tag:workflow'] }));
    writeSection({ rows: ROWS, writeS, sizeMb, m, findings, hashing });
  } finally {
    await storage.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** The options of this run that change what it measures (not where the ledger is). */
function command(): string {
  const opts = [...(ROWS === 10_000_000 ? [] : ['--rows', String(ROWS)]), ...(WHOLE ? [] : ['--no-whole']), ...(RUNS === 3 ? [] : ['--runs', String(RUNS)])];
  return opts.length ? ` -- ${opts.join(' ')}` : '';
}

interface Measured {
  scan: Timing | undefined;
  whole: Timing | undefined;
  cacheRows: Timing;
  cacheReport: Timing;
  report: Timing;
}

function writeSection(o: { rows: number; writeS: number; sizeMb: number; m: Measured; findings: number; hashing: { bytes: number; hashUs: number; parseUs: number } }): void {
  const { m } = o;
  const rows = o.rows.toLocaleString('en-US');
  const line = (what: string, t: Timing | undefined) => (t === undefined ? '' : `| ${what} | ${t.ms.toFixed(0)} | ${t.cpuMs.toFixed(0)} | ${((o.rows / t.ms) * 1000).toFixed(0)} |\n`);
  const section = `
## Cache report over ${rows} rows

Generated by \`npm run bench:cache-report${command()}\` on ${new Date().toISOString().slice(0, 10)}, on this 2-core machine shared with other
work (load average ${loadavg().map((x) => x.toFixed(1)).join(', ')} when it finished: read the ratios and the CPU times, not the wall times). The reports benchmark's generated ledger
(${rows} rows over ${DAYS} days, sessions of 50 requests) with a hashed prompt prefix on every row: four tools,
two system blocks and the conversation so far (up to ${MAX_TURNS} message blocks), breakpoints on the system prompt
and the last turn; three workflows carry a timestamp in system block 0. Written by the benchmarks' fast seeder (bench/seed.ts) in
${o.writeS.toFixed(0)} s (${Math.round(o.rows / o.writeS).toLocaleString('en-US')} rows/s); the file is ${(o.sizeMb / 1000).toFixed(1)} GB.

Each figure is ${RUNS === 1 ? 'one run' : `the median of ${RUNS} runs`} over the whole window, side by side in one process; CPU is the process's user and system time.
${WHOLE ? '*whole rows* is `scan`, every column of every row in time order (as `export` reads them); ' : ''}*cache rows* is \`cacheRows\`, the ${cacheRowSelect(String, '').length} values the analyser reads of the rows it keeps (status below 400, outcome ok), in batches of arrays. The cache report found ${o.findings} findings.

| query | wall ms | CPU ms | rows/s (wall) |
|---|---|---|---|
${line('whole rows, every one in time order (`scan`)', m.scan)}${line('cache rows, in time order (`cacheRows`)', m.cacheRows)}${line('`cache-report --by workflow`, the analyser fed whole rows', m.whole)}${line('`cache-report --by workflow`', m.cacheReport)}${line('`report --by tag:workflow` (rollups)', m.report)}
On the gateway, hashing the prefix of a Claude Code-sized request (${(o.hashing.bytes / 1000).toFixed(0)} KB: 30 tools, two system blocks,
120 message blocks) takes ${o.hashing.hashUs.toFixed(0)} µs, against ${o.hashing.parseUs.toFixed(0)} µs for the \`JSON.parse\` the gateway already does
(${(o.hashing.hashUs / o.hashing.parseUs).toFixed(1)}×; median of 7 × 200 calls). It runs once the request is on its way upstream, while the provider works.
`;
  writeMarkedSection('cache-report', section);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
