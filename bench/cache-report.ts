import { writeMarkedSection } from './sections.js';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CacheGroupBy } from '../src/cache-analysis/analyse.js';
import { encodePrefix, hashPrefix } from '../src/cache-analysis/prefix.js';
import { rowPricer, runCacheReport } from '../src/cache-analysis/report.js';
import type { LedgerRow } from '../src/core/ledger-row.js';
import { createPricer } from '../src/pricing/index.js';
import { runReport } from '../src/reports/report.js';
import { openSqlite } from '../src/storage/sqlite/sqlite-storage.js';
import { DAYS, START, fillLedger } from './reports.js';
import { median } from './stats.js';

// `npm run bench:cache-report [-- --rows N] [--keep]`: the reports benchmark's generated ledger
// (1 million rows by default; 10 million takes hours here), each row with a hashed prompt
// prefix, then `tollgate cache-report` timed against a plain scan of the same rows and the
// rollup-served `tollgate report` by workflow.
const argRows = process.argv.indexOf('--rows');
const ROWS = argRows > 0 ? Number(process.argv[argRows + 1]) : 1_000_000;
const KEEP = process.argv.includes('--keep');
const RUNS = 3;
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
function withPrefix(row: LedgerRow, i: number): LedgerRow {
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

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-cache-report-'));
  const path = join(dir, 'ledger.db');
  const storage = openSqlite(path);
  try {
    const hashing = hashingCost();
    process.stdout.write(`hashing: ${hashing.hashUs.toFixed(0)} µs, parse: ${hashing.parseUs.toFixed(0)} µs for ${hashing.bytes} bytes\n`);
    const writeS = await fillLedger(storage, ROWS, withPrefix);
    const sizeMb = statSync(path).size / 1e6;
    const since = START;
    const until = START + DAYS * 86_400_000;
    const price = rowPricer(createPricer(), (p) => (p === 'anthropic' ? 'anthropic' : undefined));
    const measure = async (name: string, fn: () => Promise<unknown>) => {
      const ms: number[] = [];
      for (let k = 0; k < RUNS; k++) ms.push(await time(fn));
      process.stdout.write(`${name}: ${median(ms).toFixed(0)} ms\n`);
      return median(ms);
    };
    let findings = 0;
    const scanMs = await measure('scan', async () => {
      let n = 0;
      for await (const _ of storage.ledger.scan({ since, until })) n++;
      return n;
    });
    const results: { by: CacheGroupBy; ms: number }[] = [];
    for (const by of ['workflow'] as const) {
      results.push({
        by,
        ms: await measure(`cache-report --by ${by}`, async () => {
          findings = (await runCacheReport(storage.ledger, { since, until, by, price })).findings.length;
        }),
      });
    }
    const reportMs = await measure('report --by tag:workflow', () => runReport(storage.ledger, { since, until, by: ['tag:workflow'] }));
    writeSection({ rows: ROWS, writeS, sizeMb, scanMs, reportMs, results, findings, hashing });
  } finally {
    await storage.close();
    if (KEEP) process.stdout.write(`kept ${path}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

function writeSection(m: {
  rows: number;
  writeS: number;
  sizeMb: number;
  scanMs: number;
  reportMs: number;
  results: { by: CacheGroupBy; ms: number }[];
  findings: number;
  hashing: { bytes: number; hashUs: number; parseUs: number };
}): void {
  const rows = m.rows.toLocaleString('en-US');
  const section = `
## Cache report over ${rows} rows

Generated by \`npm run bench:cache-report\` on ${new Date().toISOString().slice(0, 10)}, on this 2-core machine shared with other
work (noisy: read the ratios, not the absolute times). The reports benchmark's generated ledger
(${rows} rows over ${DAYS} days, sessions of 50 requests) with a hashed prompt prefix on every row: four tools,
two system blocks and the conversation so far (up to ${MAX_TURNS} message blocks), breakpoints on the system prompt
and the last turn; three workflows carry a timestamp in system block 0. Written in ${m.writeS.toFixed(0)} s; the file is ${(m.sizeMb / 1000).toFixed(1)} GB.
${m.rows < 10_000_000 ? `Measured at ${rows} rows, not the 10 million the issue asks for: filling 10 million rows with prefixes takes hours on this machine. The analyser is one pass over the scan in time order and keeps an hour of state, so its time grows linearly with rows (\`--rows 10000000\` runs it).\n` : ''}
Each figure is the median of ${RUNS} runs over the whole window. *scan* reads every row in time order and does nothing
with it: the floor under any analysis of raw rows. The cache report found ${m.findings} findings.

| query | ms | / scan |
|---|---|---|
| scan (every row, in time order) | ${m.scanMs.toFixed(0)} | 1.0× |
${m.results.map((r) => `| \`cache-report --by ${r.by}\` | ${r.ms.toFixed(0)} | ${(r.ms / m.scanMs).toFixed(1)}× |`).join('\n')}
| \`report --by tag:workflow\` (rollups) | ${m.reportMs.toFixed(0)} | ${(m.reportMs / m.scanMs).toFixed(2)}× |

On the gateway, hashing the prefix of a Claude Code-sized request (${(m.hashing.bytes / 1000).toFixed(0)} KB: 30 tools, two system blocks,
120 message blocks) takes ${m.hashing.hashUs.toFixed(0)} µs, against ${m.hashing.parseUs.toFixed(0)} µs for the \`JSON.parse\` the gateway already does
(${(m.hashing.hashUs / m.hashing.parseUs).toFixed(1)}×; median of 7 × 200 calls). It runs once the request is on its way upstream, while the provider works.
`;
  writeMarkedSection('cache-report', section);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
