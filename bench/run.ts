import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { type Target, fixedRate, maxThroughput, openStreams, streamTtfb } from './load.js';
import { type Proc, cpuMicros, rssMb, startBare, startTollgate, startUpstream, tollgateTarget } from './processes.js';
import { policyBench, policyMarkdown } from './policy.js';
import { reportsSection } from './reports.js';
import { markedSections } from './sections.js';
import { markdown } from './report.js';
import { median, percentile } from './stats.js';

// `npm run bench [-- --quick]`: direct, a bare pass-through and Tollgate, measured in
// alternation in one run; every figure is a median over rounds.
const quick = process.argv.includes('--quick');
/** Read before any process starts: how busy the shared machine was. */
const loadAtStart = loadavg()[0]!;
/** Only the policy overhead section, printed and not written to docs (for working on it). */
const policyOnly = process.argv.includes('--policy-only');
const ROUNDS = quick ? 1 : 5;
const PHASE_MS = quick ? 2000 : 3000;
const RATE = 500;
const CONCURRENCY = 64;
const TTFB_N = quick ? 100 : 300;
const STREAMS = 1000;

export interface RoundResult {
  p50: number;
  p99: number;
  streamP50: number;
  streamP99: number;
  rps: number;
  streamRps: number;
  ttfb: number;
  /** CPU of the path's server process per request at maximum throughput, µs (robust to a noisy machine). */
  cpuUs: number;
  streamCpuUs: number;
}

/** Slices of each phase per path: the paths take turns slice by slice, so that their figures come from the same seconds. */
const SLICES = quick ? 2 : 6;
const THROUGHPUT_SLICES = quick ? 2 : 3;

/** Requests at maximum throughput over `ms`, and the server's CPU (µs) meanwhile. */
async function throughput(t: Target, pid: number, stream: boolean, ms: number): Promise<{ requests: number; cpuUs: number }> {
  const before = cpuMicros(pid);
  const rps = await maxThroughput(t, stream, CONCURRENCY, ms);
  return { requests: (rps * ms) / 1000, cpuUs: cpuMicros(pid) - before };
}

/**
 * One round: each phase run for every path before the next phase, the paths taking turns in
 * slices (the order turning one place each slice), so that the figures a goal compares were
 * measured within a second of each other, not a minute. This VM does not report the time the
 * host takes from it, which comes and goes over seconds: measured a path at a time, one path's
 * whole phase could fall in a slow spell and another's not.
 */
async function measureRound(order: readonly Target[], pids: Record<string, number>): Promise<Record<string, RoundResult>> {
  const interleaved = async <T>(slices: number, phase: (t: Target) => Promise<T>): Promise<Map<string, T[]>> => {
    const out = new Map<string, T[]>(order.map((t) => [t.name, []]));
    for (let s = 0; s < slices; s++) for (const t of rotated(order, s)) out.get(t.name)!.push(await phase(t));
    return out;
  };
  /** The slices' samples of each path, as one list. */
  const pooled = async (phase: (t: Target) => Promise<number[]>) => new Map([...(await interleaved(SLICES, phase))].map(([k, v]) => [k, v.flat()]));
  const latencies = (stream: boolean) => pooled((t) => fixedRate(t, stream, RATE, PHASE_MS / SLICES));
  const maxRate = async (stream: boolean) =>
    new Map(
      [...(await interleaved(THROUGHPUT_SLICES, (t) => throughput(t, pids[t.name]!, stream, PHASE_MS / THROUGHPUT_SLICES)))].map(([k, v]) => {
        const requests = v.reduce((n, x) => n + x.requests, 0);
        return [k, { rps: (requests * 1000) / PHASE_MS, cpuUs: v.reduce((n, x) => n + x.cpuUs, 0) / requests }];
      }),
    );
  const fixed = await latencies(false);
  const fixedStream = await latencies(true);
  const plain = await maxRate(false);
  const streamed = await maxRate(true);
  const ttfb = await pooled((t) => streamTtfb(t, TTFB_N / SLICES));
  return Object.fromEntries(
    order.map(({ name }) => [
      name,
      {
        p50: percentile(fixed.get(name)!, 50),
        p99: percentile(fixed.get(name)!, 99),
        streamP50: percentile(fixedStream.get(name)!, 50),
        streamP99: percentile(fixedStream.get(name)!, 99),
        rps: plain.get(name)!.rps,
        streamRps: streamed.get(name)!.rps,
        ttfb: percentile(ttfb.get(name)!, 50),
        cpuUs: plain.get(name)!.cpuUs,
        streamCpuUs: streamed.get(name)!.cpuUs,
      },
    ]),
  );
}

async function main(): Promise<void> {
  execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
  const procs: Proc[] = [];
  let paths: Paths | undefined;
  try {
    const upstream = await startUpstream();
    procs.push(upstream);
    const log = (line: string) => void process.stdout.write(`${line}\n`);
    if (policyOnly) return log(policyMarkdown(await policyBench(upstream.url, ROUNDS, PHASE_MS, log)));
    const rounds: Record<string, RoundResult[]> = { direct: [], bare: [], bareB: [], tollgate: [] };
    for (let r = 0; r < ROUNDS; r++) {
      // Fresh servers every round: a process keeps the speed it happened to start with for its
      // whole life (two identical pass-throughs held 45 and 57 µs of CPU a request round after
      // round, and the next pair the other way round), so rounds on the same processes repeat
      // one draw. With new ones each round, the median is over as many draws as rounds.
      await paths?.stop();
      paths = await startPaths(upstream);
      for (const t of paths.targets) await maxThroughput(t, false, CONCURRENCY, 1500); // JIT warm-up
      // The order turns every round: a path's place in the round moved its throughput by about 15%
      // (two identical pass-throughs, one after the other, in a fixed order).
      const order = rotated(paths.targets, r);
      const results = await measureRound(order, paths.pids);
      for (const t of order) {
        const res = results[t.name]!;
        rounds[t.name]!.push(res);
        process.stdout.write(`round ${r + 1} ${t.name.padEnd(8)} p50 ${res.p50.toFixed(3)} ms  p99 ${res.p99.toFixed(3)} ms  ${res.rps.toFixed(0)} req/s  stream ${res.streamRps.toFixed(0)} req/s  ttfb ${res.ttfb.toFixed(3)} ms\n`);
      }
    }
    // Memory on the last round's servers.
    const { bare, tollgate } = paths!.procs;
    const bareIdle = rssMb(bare.pid);
    const tollgateIdle = rssMb(tollgate.pid);
    const target = (name: string) => paths!.targets.find((t) => t.name === name)!;
    const bareOpen = await openStreams(target('bare'), STREAMS, () => rssMb(bare.pid));
    const tgOpen = await openStreams(target('tollgate'), STREAMS, () => rssMb(tollgate.pid));
    if (bareOpen.open < STREAMS || tgOpen.open < STREAMS) throw new Error(`only ${bareOpen.open} / ${tgOpen.open} of ${STREAMS} streams opened`);
    const rss = { bareIdle, tollgateIdle, bare: bareOpen.value, tollgate: tgOpen.value };
    await paths!.stop();
    const summary = summarise(rounds, rss);
    const policy = await policyBench(upstream.url, ROUNDS, PHASE_MS, log);
    mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
    writeFileSync(join(import.meta.dirname, 'results', 'latest.json'), JSON.stringify({ rounds, rss, summary, policy }, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2));
    const doc =
      markdown({ summary, rounds: ROUNDS, phaseMs: PHASE_MS, slices: SLICES, throughputSlices: THROUGHPUT_SLICES, rate: RATE, concurrency: CONCURRENCY, ttfbN: TTFB_N, streams: STREAMS, cores: cpus().length, node: process.version, load: { start: loadAtStart, end: loadavg()[0]! }, quick }) + policyMarkdown(policy);
    const docPath = join(import.meta.dirname, '..', 'docs', 'benchmarks.md');
    // The 10M-row reports section comes from `npm run bench:reports`; keep it.
    const old = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '';
    // So are the sections other benchmark scripts write between their own markers.
    const kept = reportsSection(old) + markedSections(old);
    writeFileSync(docPath, doc + kept);
    process.stdout.write('\n' + doc);
  } finally {
    await paths?.stop();
    for (const p of procs.reverse()) await p.stop();
  }
}

interface Paths {
  procs: { bare: Proc; bareB: Proc; tollgate: Proc };
  targets: Target[];
  /** The server process whose CPU each path costs (direct's is the upstream itself). */
  pids: Record<string, number>;
  stop(): Promise<void>;
}

/** The two bare pass-throughs and Tollgate, started against the upstream, with the targets of all four paths. */
async function startPaths(upstream: Proc): Promise<Paths> {
  const bare = await startBare(upstream.url);
  // A second, identical pass-through: what it measures against bare is the harness's own error.
  const bareB = await startBare(upstream.url);
  const tg = await startTollgate(upstream.url);
  const procs = { bare, bareB, tollgate: tg.proc };
  return {
    procs,
    targets: [
      { name: 'direct', url: upstream.url, headers: { authorization: 'Bearer sk-bench' } },
      { name: 'bare', url: bare.url, headers: { authorization: 'Bearer sk-bench' } },
      { name: 'bareB', url: bareB.url, headers: { authorization: 'Bearer sk-bench' } },
      tollgateTarget(tg),
    ],
    pids: { direct: upstream.pid, bare: bare.pid, bareB: bareB.pid, tollgate: tg.proc.pid },
    stop: async () => {
      for (const p of Object.values(procs)) await p.stop();
      // Five rounds would leave five ledgers behind.
      rmSync(tg.dir, { recursive: true, force: true });
    },
  };
}

export type Summary = ReturnType<typeof summarise>;

function summarise(rounds: Record<string, RoundResult[]>, rss: { bareIdle: number; tollgateIdle: number; bare: number; tollgate: number }) {
  const med = (name: string, f: (r: RoundResult) => number) => median(rounds[name]!.map(f));
  // Added latency per round against direct in the same round, then the median.
  const added = (name: string, f: (r: RoundResult) => number) => median(rounds[name]!.map((r, i) => f(r) - f(rounds.direct![i]!)));
  const row = (name: string) => ({
    p50: med(name, (r) => r.p50),
    p99: med(name, (r) => r.p99),
    addedP50: added(name, (r) => r.p50),
    addedP99: added(name, (r) => r.p99),
    streamP50: med(name, (r) => r.streamP50),
    streamAddedP50: added(name, (r) => r.streamP50),
    rps: med(name, (r) => r.rps),
    streamRps: med(name, (r) => r.streamRps),
    ttfb: med(name, (r) => r.ttfb),
    ttfbAdded: added(name, (r) => r.ttfb),
    cpuUs: med(name, (r) => r.cpuUs),
    streamCpuUs: med(name, (r) => r.streamCpuUs),
  });
  // Bare in a round: the mean of its two processes (the same code), which halves the variance of the
  // reference the goals are judged against; one against the other is the calibration below.
  const bareOnly = rounds.bare!;
  const bareMean = bareOnly.map((b, i) => meanOf(b, rounds.bareB![i]!));
  // Tollgate against bare in the same round, then the median: a round the machine slowed hits both.
  const paired = (f: (t: RoundResult, b: RoundResult) => number, path = 'tollgate', ref: readonly RoundResult[] = bareMean) => median(rounds[path]!.map((t, i) => f(t, ref[i]!)));
  const direct = row('direct');
  const bare = row('bare');
  const bareB = row('bareB');
  const tollgate = row('tollgate');
  return {
    direct,
    bare,
    bareB,
    tollgate,
    rss,
    goals: {
      rpsRatio: paired((t, b) => t.rps / b.rps),
      streamRpsRatio: paired((t, b) => t.streamRps / b.streamRps),
      addedP50OverBare: paired((t, b) => t.p50 - b.p50),
      ttfbOverBare: paired((t, b) => t.ttfb - b.ttfb),
      rssAt1000: rss.tollgate,
    },
    // The same ratios for the second bare: an exact harness would give 1 and 0.
    calibration: {
      rpsRatio: paired((t, b) => t.rps / b.rps, 'bareB', bareOnly),
      streamRpsRatio: paired((t, b) => t.streamRps / b.streamRps, 'bareB', bareOnly),
      addedP50: paired((t, b) => t.p50 - b.p50, 'bareB', bareOnly),
      ttfb: paired((t, b) => t.ttfb - b.ttfb, 'bareB', bareOnly),
      cpuRatio: paired((t, b) => t.cpuUs / b.cpuUs, 'bareB', bareOnly),
    },
  };
}

/** Two rounds' figures averaged, field by field. */
function meanOf(a: RoundResult, b: RoundResult): RoundResult {
  const out = { ...a };
  for (const k of Object.keys(out) as (keyof RoundResult)[]) out[k] = (a[k] + b[k]) / 2;
  return out;
}

/** The paths in round r's order: each round starts one place further on. */
function rotated<T>(xs: readonly T[], r: number): T[] {
  const k = r % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

await main();
