import { writeMarkedSection } from './sections.js';
import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SETTLED_MS } from '../src/importers/discover.js';
import { type CorpusResult, generateCorpus } from '../src/importers/testing/corpus.js';
import { median } from './stats.js';

// `npm run bench:import [-- --mb 200] [--runs 5] [--corpus DIR]`: generates a Claude Code
// corpus (seeded: the same files on every machine), then times, side by side in one run,
// `tollgate import` (first run into an empty SQLite ledger, and a no-change re-run),
// bare Node start-up, and ccusage (its native Rust build from npm) on the same files,
// with their totals compared. Writes docs/benchmarks.md between the import markers.
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const MB = Number(arg('--mb', '200'));
const RUNS = Number(arg('--runs', '5'));
const BIN = join(process.cwd(), 'bin', 'tollgate.js');
const require = createRequire(import.meta.url);
const work = mkdtempSync(join(tmpdir(), 'tollgate-bench-import-'));
const CCUSAGE = executable(join(dirname(require.resolve('@ccusage/ccusage-linux-x64/package.json')), 'bin', 'ccusage'));

/** The binary itself, or a copy with the execute bit when the installed file lost it (hard-linked node_modules). */
function executable(path: string): string {
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    const copy = join(work, 'ccusage');
    copyFileSync(path, copy);
    chmodSync(copy, 0o755);
    return copy;
  }
}
const corpusDir = arg('--corpus', join(work, 'corpus'));
const metaFile = join(corpusDir, 'corpus.json');
let corpus: CorpusResult;
if (existsSync(metaFile)) corpus = JSON.parse(readFileSync(metaFile, 'utf8')) as CorpusResult;
else {
  process.stderr.write(`generating a ${MB} MB corpus in ${corpusDir}...\n`);
  corpus = generateCorpus({ out: corpusDir, mb: MB, seed: 42, days: 30 });
  writeFileSync(metaFile, JSON.stringify(corpus));
  // Directories written this instant are listed again by every no-change run until their
  // mtime is old enough to trust (discover.ts): real log folders are mostly old.
  await new Promise((r) => setTimeout(r, SETTLED_MS + 500));
}
const loadAtStart = loadavg()[0]!.toFixed(1);

/** Wall time, and CPU time (user + system, from /usr/bin/time), which other jobs on the machine disturb less. */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): { ms: number; cpuMs: number; stdout: string } {
  const t = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'CPU %U %S', cmd, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  const cpu = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  return { ms, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : NaN, stdout: r.stdout };
}

interface Sample {
  bare: number;
  first: number;
  noChange: number;
  ccusage: number;
  bareCpu: number;
  firstCpu: number;
  noChangeCpu: number;
  ccusageCpu: number;
}

const samples: Sample[] = [];
let tollgateTotals: Record<string, number> = {};
let ccTotals: Record<string, number> = {};
for (let i = 0; i < RUNS; i++) {
  const db = join(work, `run-${i}.db`);
  const state = join(work, `state-${i}.json`);
  const args = [BIN, 'import', '--source', 'claude-code', '--dir', corpus.claudeDir, '--db', db, '--state', state, '--json'];
  const bareRun = timed(process.execPath, ['-e', '']);
  const bare = bareRun.ms;
  const first = timed(process.execPath, args);
  const noChange = timed(process.execPath, args);
  const cc = timed(CCUSAGE, ['claude', 'daily', '--json', '-O'], { CLAUDE_CONFIG_DIR: corpus.claudeDir, LOG_LEVEL: '0' });
  samples.push({ bare, first: first.ms, noChange: noChange.ms, ccusage: cc.ms, bareCpu: bareRun.cpuMs, firstCpu: first.cpuMs, noChangeCpu: noChange.cpuMs, ccusageCpu: cc.cpuMs });
  const summary = JSON.parse(first.stdout) as { written: number; sources: Record<string, Record<string, number | string>> };
  const t = summary.sources['claude-code-log']!;
  tollgateTotals = {
    responses: summary.written,
    input: Number(t.inputTokens) - Number(t.cacheReadTokens) - Number(t.cacheWriteTokens),
    output: Number(t.outputTokens),
    cacheCreate: Number(t.cacheWriteTokens),
    cacheRead: Number(t.cacheReadTokens),
    costUsd: Number(t.costUsd),
  };
  const c = (JSON.parse(cc.stdout) as { totals: Record<string, number> }).totals;
  ccTotals = { input: c.inputTokens!, output: c.outputTokens!, cacheCreate: c.cacheCreationTokens!, cacheRead: c.cacheReadTokens!, costUsd: c.totalCost! };
  for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
  process.stderr.write(`run ${i + 1}/${RUNS}: bare ${bare.toFixed(0)} ms, first ${first.ms.toFixed(0)} ms, no-change ${noChange.ms.toFixed(0)} ms, ccusage ${cc.ms.toFixed(0)} ms\n`);
}

const m = (k: keyof Sample) => median(samples.map((s) => s[k]));
const bare = m('bare');
const first = m('first');
const noChange = m('noChange');
const cc = m('ccusage');
const load = loadavg()[0]!.toFixed(1);
const e = corpus.expected.claude;
const fmt = (n: number) => n.toLocaleString('en-US');
const tokensEqual = ['input', 'output', 'cacheCreate', 'cacheRead'].every((k) => tollgateTotals[k] === ccTotals[k] && tollgateTotals[k] === (e as unknown as Record<string, number>)[k]);

const section = `
## Import: Claude Code logs, against ccusage

\`npm run bench:import\` (measured ${new Date().toISOString().slice(0, 10)}). A seeded synthetic corpus of
${(corpus.bytes / 1048576).toFixed(1)} MiB in ${corpus.files} files (${fmt(corpus.lines)} lines, ${fmt(corpus.usageLines)} usage lines for
${fmt(e.responses)} real responses): one line per content block with placeholder output on early blocks,
large tool results, sub-agent files replaying a parent message as a sidechain, resumed sessions copying
earlier lines. Each tool runs ${RUNS} times, side by side in one loop; medians of wall time including
process start-up, warm page cache, and of CPU time (user + system, all threads: ccusage uses
several, Tollgate one, plus the garbage collector's helpers). The machine (2 vCPUs) is a shared
virtual machine whose speed moves between runs whatever its own load: load average ${loadAtStart} when the
run started and ${load} when it ended, and bare Node start-up took ${bare.toFixed(0)} ms (about 40 ms on a fast
day). Absolute times move from run to run: read the ratios, and the CPU times, which contention
disturbs less.

| | wall, median | CPU, median | wall vs ccusage | CPU vs ccusage | wall beyond bare \`node -e ''\` |
|---|---:|---:|---:|---:|---:|
| bare \`node -e ''\` | ${bare.toFixed(0)} ms | ${m('bareCpu').toFixed(0)} ms | | | |
| ccusage 20.0.24 (native build), \`claude daily --json -O\` | ${cc.toFixed(0)} ms | ${m('ccusageCpu').toFixed(0)} ms | 1.00× | 1.00× | |
| \`tollgate import\`, first run into an empty SQLite ledger | ${first.toFixed(0)} ms | ${m('firstCpu').toFixed(0)} ms | ${(first / cc).toFixed(2)}× | ${(m('firstCpu') / m('ccusageCpu')).toFixed(2)}× | |
| \`tollgate import\`, no-change re-run | ${noChange.toFixed(0)} ms | ${m('noChangeCpu').toFixed(0)} ms | | | +${(noChange - bare).toFixed(0)} ms (CPU +${(m('noChangeCpu') - m('bareCpu')).toFixed(0)} ms) |

Goals: first import ≤ 2× ccusage (${first <= 2 * cc ? 'met' : 'not met'}); no-change re-run < 50 ms beyond bare
Node start-up (${noChange - bare < 50 ? 'met' : 'not met'}).

Totals (input is Anthropic's uncached input):

| | responses | input | output | cache writes | cache reads | cost |
|---|---:|---:|---:|---:|---:|---:|
| ground truth (generator) | ${fmt(e.responses)} | ${fmt(e.input)} | ${fmt(e.output)} | ${fmt(e.cacheCreate)} | ${fmt(e.cacheRead)} | |
| tollgate import | ${fmt(tollgateTotals.responses!)} | ${fmt(tollgateTotals.input!)} | ${fmt(tollgateTotals.output!)} | ${fmt(tollgateTotals.cacheCreate!)} | ${fmt(tollgateTotals.cacheRead!)} | $${tollgateTotals.costUsd!.toFixed(6)} |
| ccusage | | ${fmt(ccTotals.input!)} | ${fmt(ccTotals.output!)} | ${fmt(ccTotals.cacheCreate!)} | ${fmt(ccTotals.cacheRead!)} | $${ccTotals.costUsd!.toFixed(6)} |

Token totals ${tokensEqual ? 'are equal in all three rows' : 'DIFFER (see above)'}. Costs come from two price lists
(genai-prices for Tollgate, LiteLLM's for ccusage); ccusage sums doubles, Tollgate integer picodollars.
`;

writeMarkedSection('import', section);
process.stdout.write(section + '\n');
if (!process.argv.includes('--keep')) rmSync(work, { recursive: true, force: true });
