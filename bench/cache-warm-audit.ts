import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { cacheRegressions, LONG_WINDOW_MS } from '../src/anomalies/cache-regression.js';
import { SeriesReader } from '../src/anomalies/inputs.js';
import { replay } from '../src/anomalies/replay.js';
import { type CacheRegressionSettings, defaultAnomalySettings } from '../src/anomalies/types.js';
import { openSqlite } from '../src/storage/sqlite/sqlite-storage.js';
import { type Break, DAY, type Workflow, peakRate, traffic } from './cache-traffic.js';
import { seedLedger } from './seed.js';

// `npx tsx bench/cache-warm-audit.ts --dir DIR [--design a|b]`: the cache-hit regression's false alarms on
// clean weekdays and its minutes to detection of planted breaks, with and without the warm-request check
// (docs/anomalies.md), on seeded agent traffic (bench/cache-traffic.ts). Each evaluation, a minute apart,
// reads the series once, as evaluate() does, and judges it under every variant of the settings.
const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const DIR = arg('--dir') ?? '/tmp/scratch-warm-cache';
const DESIGN = arg('--design') ?? 'a';
const MIN = 60_000;
const START = Date.UTC(2026, 9, 26); // a Monday
const DAYS = 22;
const CLEAN_DAYS = [7, 8, 9, 10, 11, 14, 15, 16, 17];
/** Four breaks a weekday, each day's 25 minutes later than the day before's (day, minute of the day). */
const BREAKS: [number, number][] = [8, 9, 10, 11, 15, 16, 17].flatMap((day, k) => [7 * 60 + 10, 10 * 60 + 25, 13 * 60 + 40, 16 * 60 + 55].map((m): [number, number] => [day, m + 25 * k + 0.5]));
const BREAK_MS = 40 * MIN;

type W = Omit<Workflow, 'name' | 'model' | 'peak'>;
const w = (name: string, model: string, peak: number, o: W): Workflow => ({ name, model, peak, ...o });
const DESIGNS: Record<string, { seed: number; workflows: Workflow[] }> = {
  a: {
    seed: 1,
    workflows: [
      w('solo', 'claude-opus-4-5', 3, { gapS: 60, length: [10, 80], prefix: 18_000, turn: 6000, subAgent: 0.05, sideCall: 0.1, pause: 0.03, compactAt: 150_000 }),
      w('docs', 'claude-sonnet-4-5', 8, { gapS: 40, length: [5, 60], prefix: 14_000, turn: 5000, subAgent: 0.08, sideCall: 0.2, pause: 0.03, compactAt: 150_000 }),
      w('coder', 'claude-sonnet-4-5', 15, { gapS: 25, length: [10, 150], prefix: 20_000, turn: 8000, subAgent: 0.1, sideCall: 0.3, pause: 0.02, compactAt: 160_000 }),
      w('review', 'claude-sonnet-4-5', 30, { gapS: 20, length: [3, 30], prefix: 12_000, turn: 4000, subAgent: 0.03, sideCall: 0.1, pause: 0.01, compactAt: 150_000 }),
      w('support', 'claude-sonnet-4-5', 80, { gapS: 15, length: [2, 10], prefix: 30_000, turn: 1500, subAgent: 0, sideCall: 0, pause: 0.01, compactAt: 150_000 }),
    ],
  },
  b: {
    seed: 2,
    workflows: [
      w('research', 'claude-opus-4-5', 4, { gapS: 90, length: [5, 40], prefix: 25_000, turn: 12_000, subAgent: 0.15, sideCall: 0.1, pause: 0.06, compactAt: 120_000 }),
      w('ops', 'claude-sonnet-4-5', 6, { gapS: 50, length: [3, 25], prefix: 10_000, turn: 3000, subAgent: 0.05, sideCall: 0.4, pause: 0.05, compactAt: 150_000 }),
      w('coder', 'claude-sonnet-4-5', 12, { gapS: 30, length: [20, 200], prefix: 22_000, turn: 10_000, subAgent: 0.15, sideCall: 0.3, pause: 0.03, compactAt: 100_000 }),
      w('tests', 'claude-sonnet-4-5', 25, { gapS: 20, length: [5, 50], prefix: 15_000, turn: 6000, subAgent: 0.1, sideCall: 0.2, pause: 0.02, compactAt: 150_000 }),
      w('chat', 'claude-sonnet-4-5', 60, { gapS: 30, length: [2, 15], prefix: 8000, turn: 2000, subAgent: 0, sideCall: 0.05, pause: 0.05, compactAt: 150_000 }),
    ],
  },
  // Harsher: small prompts beside many sub-agents, side calls, compaction, pauses, and prompts whose start changes mid-session.
  c: {
    seed: 3,
    workflows: [
      w('pair', 'claude-sonnet-4-5', 4, { gapS: 45, length: [5, 60], prefix: 6000, turn: 2500, subAgent: 0.25, sideCall: 0.5, pause: 0.08, compactAt: 60_000, invalidate: 0.02 }),
      w('agent', 'claude-sonnet-4-5', 8, { gapS: 30, length: [10, 100], prefix: 8000, turn: 3000, subAgent: 0.3, sideCall: 0.3, pause: 0.05, compactAt: 80_000, invalidate: 0.02 }),
      w('triage', 'claude-opus-4-5', 12, { gapS: 20, length: [3, 20], prefix: 5000, turn: 2000, subAgent: 0.2, sideCall: 0.2, pause: 0.03, compactAt: 150_000, invalidate: 0.01 }),
      w('batch', 'claude-sonnet-4-5', 25, { gapS: 15, length: [5, 40], prefix: 10_000, turn: 4000, subAgent: 0.1, sideCall: 0.1, pause: 0.02, compactAt: 100_000, invalidate: 0.01 }),
      w('bot', 'claude-sonnet-4-5', 60, { gapS: 20, length: [2, 8], prefix: 4000, turn: 1000, subAgent: 0, sideCall: 0, pause: 0.02, compactAt: 150_000, invalidate: 0.01 }),
    ],
  },
};

const base = defaultAnomalySettings();
const old = { ...base.detectors.cache_regression, warmMinRequests: 0 };
const VARIANTS: [string, CacheRegressionSettings][] = [['old rules', old]];
for (const n of [2, 3, 4, 6]) for (const input of [0, 50_000, 100_000, 200_000]) VARIANTS.push([`warm ≥${n} req ≥${input / 1000}k`, { ...old, warmMinRequests: n, warmMinInputTokens: input }]);
// The margin: the last minutes' fall (both checks) at 50% instead of 70%.
VARIANTS.push(['old rules, fast 50%', { ...old, fastDrop: 0.5 }], ['warm ≥4 req ≥100k, 50%', { ...old, warmMinRequests: 4, warmMinInputTokens: 100_000, fastDrop: 0.5 }]);
// The variants above ask warm requests of 2 sessions, or of one where the workflow's other requests do not say otherwise
// (the default since 2026-12-06); these take any one session's, as before.
VARIANTS.push(['warm ≥4 ≥100k, 1 session', { ...old, warmMinRequests: 4, warmMinInputTokens: 100_000, warmMinSessions: 1 }], ['warm ≥2 ≥0k, 1 session', { ...old, warmMinRequests: 2, warmMinInputTokens: 0, warmMinSessions: 1 }]);
const rates = () => ({ input: 3_000_000_000_000n, cacheRead: 300_000_000_000n, cacheWrite: 3_750_000_000_000n, output: 15_000_000_000_000n });

function seed(path: string, workflows: Workflow[], s: number, breaks: Break[], scale: Map<string, number>): void {
  if (existsSync(path)) return;
  const rows = traffic(workflows, START, DAYS, s, breaks, scale);
  console.log(`${path}: ${rows.length.toLocaleString('en-US')} rows seeded in ${seedLedger(path, rows.length, (i) => rows[i]!).toFixed(0)} s`);
}

async function clean(path: string): Promise<void> {
  const storage = openSqlite(path);
  const reader = new SeriesReader(storage.ledger);
  const c = base.detectors.cache_regression;
  const alerts = VARIANTS.map(() => new Map<string, string[]>());
  const firing = VARIANTS.map(() => new Map<string, number>());
  let evaluations = 0;
  const t0 = performance.now();
  for (const day of CLEAN_DAYS) {
    for (let now = START + day * DAY + MIN; now <= START + (day + 1) * DAY; now += MIN) {
      const use = await reader.cacheUse(now, c.windowMs, c.baselineDays, c.fastWindowMs, LONG_WINDOW_MS, c.fastWindowMs);
      evaluations++;
      VARIANTS.forEach(([, s], v) => {
        for (const d of cacheRegressions(use, now, s, rates)) {
          const wf = d.subject.slice('workflow:'.length);
          firing[v]!.set(wf, (firing[v]!.get(wf) ?? 0) + 1);
          const list = alerts[v]!.get(wf) ?? [];
          alerts[v]!.set(wf, list);
          if (!list.some((x) => x.startsWith(new Date(now).toISOString().slice(0, 10)))) list.push(`${new Date(now).toISOString().slice(0, 16)} ${d.message.replace(/: \$.*/, '')}`);
        }
      });
    }
  }
  console.log(`clean: ${CLEAN_DAYS.length} weekdays, ${evaluations} evaluations in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  VARIANTS.forEach(([name], v) => {
    const per = [...alerts[v]!].map(([wf, l]) => `${wf} ${l.length} (${firing[v]!.get(wf)} evals)`).join(', ');
    console.log(`  ${name.padEnd(22)} alerts ${[...alerts[v]!.values()].reduce((n, l) => n + l.length, 0)}: ${per || 'none'}`);
  });
  for (const v of [0, VARIANTS.findIndex(([n]) => n === 'warm ≥4 req ≥100k')]) for (const [, l] of alerts[v]!) for (const x of l) console.log(`    ${VARIANTS[v]![0]}: ${x}`);
  // The loop above judges as replay does: check it on one day with the defaults.
  const day = START + CLEAN_DAYS[0]! * DAY;
  const replayed = await replay(storage.ledger, base, rates, { since: day, until: day + DAY, only: 'cache_regression' });
  const mine = VARIANTS.findIndex(([, s]) => s.warmMinRequests === c.warmMinRequests && s.warmMinInputTokens === c.warmMinInputTokens);
  const loop = [...alerts[mine]!.values()].flat().filter((x) => x.startsWith(new Date(day).toISOString().slice(0, 10))).length;
  console.log(`  replay() of ${new Date(day).toISOString().slice(0, 10)} with the defaults: ${replayed.length} alerts, the loop ${loop}`);
  await storage.close();
}

async function breaks(path: string, workflows: Workflow[]): Promise<void> {
  const storage = openSqlite(path);
  const db = new Database(path, { readonly: true });
  const firstRow = db.prepare("SELECT MIN(ts) AS t FROM requests WHERE ts >= ? AND ts < ? AND json_extract(tags, '$.workflow') = ?");
  const c = base.detectors.cache_regression;
  // Per variant and workflow: minutes from the break, and from its first broken request, to detection (undefined: not within 30 minutes).
  const found = VARIANTS.map(() => new Map<string, { fromBreak?: number; fromRow?: number }[]>());
  const t0 = performance.now();
  for (const [day, minute] of BREAKS) {
    const at = START + day * DAY + minute * MIN;
    const reader = new SeriesReader(storage.ledger);
    const first = VARIANTS.map(() => new Map<string, number>());
    for (let now = Math.ceil(at / MIN) * MIN; now <= at + 30 * MIN; now += MIN) {
      const use = await reader.cacheUse(now, c.windowMs, c.baselineDays, c.fastWindowMs, LONG_WINDOW_MS, c.fastWindowMs);
      VARIANTS.forEach(([, s], v) => {
        for (const d of cacheRegressions(use, now, s, rates)) if (!first[v]!.has(d.subject)) first[v]!.set(d.subject, now);
      });
    }
    for (const wf of workflows) {
      const row = (firstRow.get(at, at + 30 * MIN, wf.name) as { t: number | null }).t;
      if (row === null) continue; // no traffic to judge
      VARIANTS.forEach((_, v) => {
        const when = first[v]!.get(`workflow:${wf.name}`);
        const list = found[v]!.get(wf.name) ?? [];
        found[v]!.set(wf.name, list);
        list.push(when === undefined ? {} : { fromBreak: (when - at) / MIN, fromRow: (when - Number(row)) / MIN });
      });
    }
  }
  db.close();
  console.log(`${BREAKS.length} breaks (7 weekdays, 07:10 to 19:25) in ${((performance.now() - t0) / 1000).toFixed(0)} s; per workflow with traffic in the 30 minutes after: found within 5 minutes of the break / of its first broken request, median minutes from the break, not found in 30`);
  const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!.toFixed(1) : '-');
  VARIANTS.forEach(([name], v) => {
    let within = 0;
    let total = 0;
    const per = [...found[v]!].map(([wf, l]) => {
      total += l.length;
      within += l.filter((x) => x.fromBreak !== undefined && x.fromBreak <= 5).length;
      const b = l.filter((x) => x.fromBreak !== undefined && x.fromBreak <= 5).length;
      const r = l.filter((x) => x.fromRow !== undefined && x.fromRow <= 5).length;
      return `${wf} ${b}/${r}/${l.length} med ${median(l.flatMap((x) => (x.fromBreak === undefined ? [] : [x.fromBreak])))} miss ${l.filter((x) => x.fromBreak === undefined).length}`;
    });
    console.log(`  ${name.padEnd(22)} ≤5 min ${within}/${total}: ${per.join('; ')}`);
  });
  await storage.close();
}

async function main(): Promise<void> {
  const design = DESIGNS[DESIGN]!;
  mkdirSync(DIR, { recursive: true });
  // Calibrate each workflow's session rate on two weeks so that its busy hours hold `peak` requests per 5 minutes.
  const measured = peakRate(traffic(design.workflows, START, 14, design.seed));
  const scale = new Map(design.workflows.map((x) => [x.name, x.peak / measured.get(x.name)!]));
  const rows = traffic(design.workflows, START, 14, design.seed, [], scale);
  const peak = peakRate(rows);
  const at7 = rows.filter((x) => new Date(x.ts).getUTCHours() === 7 && ![0, 6].includes(new Date(x.ts).getUTCDay()));
  console.log(`design ${DESIGN}: requests per 5 min at 09-17 (07-08): ${design.workflows.map((x) => `${x.name} ${peak.get(x.name)!.toFixed(1)} (${(at7.filter((y) => y.tags.workflow === x.name).length / (10 * 12)).toFixed(1)})`).join(', ')}`);
  const cleanPath = join(DIR, `clean-${DESIGN}.db`);
  const brokenPath = join(DIR, `broken-${DESIGN}.db`);
  seed(cleanPath, design.workflows, design.seed, [], scale);
  seed(brokenPath, design.workflows, design.seed, BREAKS.map(([d, m]) => ({ at: START + d * DAY + m * MIN, forMs: BREAK_MS })), scale);
  if (!process.argv.includes('--breaks-only')) await clean(cleanPath);
  if (!process.argv.includes('--clean-only')) await breaks(brokenPath, design.workflows);
}

await main();
