import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Agent, request } from 'undici';
import { bodyFor, type Target } from './load.js';
import { startTollgate, startUpstream, tollgateTarget } from './processes.js';
import { median } from './stats.js';

// `npx tsx bench/latency-pair.ts ROOT_A ROOT_B`: two checkouts' built gateways (run `npm run build` in
// each) measured request by request in alternation, A, B, A, B…, each sent RATE requests a second
// (default 500) open loop, non-streaming, for SECONDS (default 6) a generation of fresh processes;
// ROUNDS generations (default 6). Where `latency-ab.ts` alternates half-second slices, this alternates
// single requests, so that the two latencies compared were taken within a millisecond of each other:
// differences of a few microseconds show through noise that moves whole slices by tens of them.
// With STEPS=1 each gateway also times its own part of each request (bench/request-steps.mjs): before
// the upstream call and after the upstream's end, which the upstream's and the client's noise leave out.
const [rootA, rootB] = process.argv.slice(2);
if (!rootA || !rootB) throw new Error('usage: tsx bench/latency-pair.ts ROOT_A ROOT_B');
const ROUNDS = Number(process.env.ROUNDS ?? 6);
const RATE = Number(process.env.RATE ?? 500);
const SECONDS = Number(process.env.SECONDS ?? 6);
const STEPS = process.env.STEPS === '1';
const STEPS_MODULE = pathToFileURL(join(import.meta.dirname, 'request-steps.mjs')).href;

async function once(agent: Agent, t: Target): Promise<number> {
  const start = performance.now();
  const res = await request(`${t.url}/v1/chat/completions`, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json', ...t.headers }, body: bodyFor(false) });
  await res.body.dump();
  if (res.statusCode !== 200) throw new Error(`${t.name}: HTTP ${res.statusCode}`);
  return performance.now() - start;
}

/** Requests alternating between the targets, `rate` a second to each, for `ms`; each target's latencies. */
async function interleaved(targets: Target[], rate: number, ms: number): Promise<number[][]> {
  const agents = targets.map(() => new Agent({ connections: 64, keepAliveTimeout: 60_000 }));
  const out = targets.map(() => [] as number[]);
  const total = Math.floor((rate * targets.length * ms) / 1000);
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / (rate * targets.length) - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const k = i % targets.length;
    inflight.push(once(agents[k]!, targets[k]!).then((v) => void out[k]!.push(v)));
  }
  await Promise.all(inflight);
  await Promise.all(agents.map((a) => a.close()));
  return out;
}

const diffs: number[] = [];
const stepDiffs = { before: [] as number[], after: [] as number[] };
const stepsFile = (name: string, r: number) => join(tmpdir(), `tollgate-steps-${process.pid}-${r}-${name}.json`);
/** A stopped gateway's step timings: the median of each, in microseconds. */
function steps(file: string): { before: number; after: number } {
  const t = JSON.parse(readFileSync(file, 'utf8')) as { before: number[]; after: number[] };
  rmSync(file);
  return { before: median(t.before) * 1000, after: median(t.after) * 1000 };
}
for (let r = 0; r < ROUNDS; r++) {
  const up = await startUpstream();
  // Started and sent to in the other order every other generation.
  const builds: [string, string][] = [
    ['A', rootA],
    ['B', rootB],
  ];
  if (r % 2 === 1) builds.reverse();
  const gateways = [];
  for (const [name, root] of builds) gateways.push(await startTollgate(up.url, '', name, root, STEPS ? { NODE_OPTIONS: `--import ${STEPS_MODULE}`, STEPS_OUT: stepsFile(name, r) } : {}));
  try {
    const targets = gateways.map((g) => tollgateTarget(g));
    await interleaved(targets, RATE, 1000);
    const lat = await interleaved(targets, RATE, SECONDS * 1000);
    const byName = Object.fromEntries(targets.map((t, i) => [t.name, median(lat[i]!)]));
    const a = byName.A!;
    const b = byName.B!;
    diffs.push(b - a);
    process.stdout.write(`round ${r + 1}: A ${a.toFixed(3)} ms  B ${b.toFixed(3)} ms  B - A ${((b - a) * 1000).toFixed(1)} µs\n`);
  } finally {
    for (const g of gateways) await g.proc.stop();
    await up.stop();
  }
  if (STEPS) {
    const [a, b] = [steps(stepsFile('A', r)), steps(stepsFile('B', r))];
    stepDiffs.before.push(b.before - a.before);
    stepDiffs.after.push(b.after - a.after);
    process.stdout.write(`  own steps, µs: before the upstream call A ${a.before.toFixed(1)} B ${b.before.toFixed(1)}; after its end A ${a.after.toFixed(1)} B ${b.after.toFixed(1)}\n`);
  }
}
const lower = diffs.filter((d) => d < 0).length;
process.stdout.write(`B - A, median of the rounds: ${(median(diffs) * 1000).toFixed(1)} µs at p50 (B lower in ${lower} of ${diffs.length})\n`);
for (const [step, d] of Object.entries(stepDiffs)) {
  if (d.length > 0) process.stdout.write(`B - A, ${step === 'before' ? 'before the upstream call' : 'after the upstream end'}: ${median(d).toFixed(1)} µs (B lower in ${d.filter((x) => x < 0).length} of ${d.length})\n`);
}
