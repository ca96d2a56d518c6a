import { type ChildProcess, spawn } from 'node:child_process';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { Redis } from 'ioredis';
import { formatUsd } from '../src/core/money.js';
import { type Target, fixedRate, sequentialLatency } from './load.js';
import { type OvershootRow, measureOvershoot } from './overshoot.js';
import { type Proc, startTollgate } from './processes.js';
import { median, percentile } from './stats.js';

/** Five budgets that all apply to the bench key (user bench, team perf), one of them rolling. */
const BUDGETS = `budgets:
  - { scope: user:bench, window: day, limit_usd: 1000000 }
  - { scope: team:perf, window: month, limit_usd: 1000000 }
  - { scope: org, window: quarter, limit_usd: 1000000 }
  - { scope: "model:gpt-*", window: week, limit_usd: 1000000 }
  - { scope: provider:openai, window: 5h, limit_usd: 1000000 }
`;
/** Delay added to each Redis request by the delaying proxy, to count round trips on the request path. */
const DELAY_MS = 20;
const SEQUENTIAL_N = 300;
const RATE = 500;

export interface PolicyRound {
  /** Median latency of requests sent one at a time, per path. */
  sequential: Record<string, number>;
  /** p50 under open-loop load at a fixed rate, per path. */
  loaded: Record<string, number>;
}

export interface PolicyResult {
  rounds: PolicyRound[];
  /** Redis commands per request, from INFO commandstats over the one-at-a-time phase. */
  commandsPerRequest: number;
  overshoot: OvershootRow[];
}

/**
 * Policy overhead: Tollgate without rules, with five budgets on in-process counters, with
 * five budgets on Redis, and the same behind a proxy that delays every Redis request by
 * DELAY_MS. The last two differ only by that delay, so their latency gap divided by
 * DELAY_MS is the number of Redis round trips each request waits for.
 */
export async function policyBench(upstream: string, rounds: number, phaseMs: number, log: (line: string) => void): Promise<PolicyResult | { skipped: string }> {
  const procs: Proc[] = [];
  const port = 6390 + (process.pid % 50);
  let redis: ChildProcess | undefined;
  let delay: Server | undefined;
  try {
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const failed = await new Promise<string | null>((ok) => {
      redis!.once('error', (e) => ok(e.message));
      setTimeout(() => ok(null), 300);
    });
    if (failed) return { skipped: `redis-server could not start: ${failed}` };
    const delayed = await delayingProxy(port, DELAY_MS);
    delay = delayed.server;
    const start = async (name: string, extra: string) => {
      const t = await startTollgate(upstream, extra, name);
      procs.push(t.proc);
      return { name, url: t.proc.url, headers: { authorization: `Bearer ${t.key}` } } satisfies Target;
    };
    const targets = [
      await start('no rules', ''),
      await start('5 budgets, memory', BUDGETS),
      await start('5 budgets, Redis', `${BUDGETS}redis: redis://127.0.0.1:${port}\n`),
      await start(`5 budgets, Redis +${DELAY_MS} ms`, `${BUDGETS}redis: redis://127.0.0.1:${delayed.port}\n`),
    ];
    for (const t of targets) await sequentialLatency(t, 50); // warm-up, and counters initialised from the ledger
    const out: PolicyRound[] = [];
    const info = new Redis(port);
    let commands = 0;
    let requests = 0;
    for (let r = 0; r < rounds; r++) {
      const round: PolicyRound = { sequential: {}, loaded: {} };
      for (const t of targets) {
        const before = t.name === '5 budgets, Redis' ? await commandCount(info) : 0;
        round.sequential[t.name] = median(await sequentialLatency(t, SEQUENTIAL_N));
        if (t.name === '5 budgets, Redis') {
          commands += (await commandCount(info)) - before - 1;
          requests += SEQUENTIAL_N;
        }
        if (!t.name.includes('+')) round.loaded[t.name] = percentile(await fixedRate(t, false, RATE, phaseMs), 50);
      }
      log(`policy round ${r + 1}: ${Object.entries(round.sequential).map(([k, v]) => `${k} ${v.toFixed(3)} ms`).join(', ')}`);
      out.push(round);
    }
    info.disconnect();
    const overshoot: OvershootRow[] = [];
    for (const n of [1, 10, 50, 200]) overshoot.push(await measureOvershoot(n));
    return { rounds: out, commandsPerRequest: commands / requests, overshoot };
  } finally {
    for (const p of procs.reverse()) await p.stop();
    delay?.close();
    redis?.kill('SIGKILL');
  }
}

/** Commands Redis has run so far, INFO itself excluded. */
async function commandCount(r: Redis): Promise<number> {
  const text = await r.info('commandstats');
  let n = 0;
  for (const m of text.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) if (m[1] !== 'info') n += Number(m[2]);
  return n;
}

/** A TCP proxy that holds every chunk from the client for `ms` before passing it on. */
function delayingProxy(target: number, ms: number): Promise<{ server: Server; port: number }> {
  const server = createServer((client: Socket) => {
    const upstream = connect(target, '127.0.0.1');
    // Without this, Nagle's algorithm against delayed ACKs adds ~40 ms stalls of its own.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('data', (c) => setTimeout(() => upstream.write(c), ms));
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({ server, port: (server.address() as { port: number }).port })));
}

/** The policy section of docs/benchmarks.md. */
export function policyMarkdown(r: PolicyResult | { skipped: string }): string {
  if ('skipped' in r) return `\n## Policy overhead\n\nSkipped: ${r.skipped}.\n`;
  const names = Object.keys(r.rounds[0]!.sequential);
  const base = names[0]!;
  const added = (name: string, f: (x: PolicyRound) => Record<string, number>) => median(r.rounds.map((x) => f(x)[name]! - f(x)[base]!));
  const seqAdded = (name: string) => added(name, (x) => x.sequential);
  const rows = names.map((n) => {
    const loaded = r.rounds[0]!.loaded[n] === undefined ? '' : `${median(r.rounds.map((x) => x.loaded[n]!)).toFixed(3)} | ${added(n, (x) => x.loaded).toFixed(3)}`;
    return `| ${n} | ${median(r.rounds.map((x) => x.sequential[n]!)).toFixed(3)} | ${seqAdded(n).toFixed(3)} | ${loaded || '– | –'} |`;
  });
  const memory = seqAdded(names[1]!);
  const redis = names[2]!;
  const trips = median(r.rounds.map((x) => x.sequential[names[3]!]! - x.sequential[redis]!)) / DELAY_MS;
  const overshoot = r.overshoot.map((o) => `| ${o.inFlight} | ${o.admitted} | ${formatUsd(o.overshoot, 3)} | ${formatUsd(o.bound, 3)} | ${o.overshoot <= o.bound ? 'yes' : 'NO'} |`);
  return `
## Policy overhead

Tollgate with no rules, with five budgets that all apply to the request (user day, team month,
org quarter, model week, provider rolling 5h) on in-process counters, on Redis (a
\`redis-server\` of the benchmark's own), and on the same Redis behind a proxy that holds every
Redis request for ${DELAY_MS} ms. Requests are sent one at a time (${SEQUENTIAL_N} per round) and at ${RATE} req/s;
*added* is against *no rules* in the same round, then the median over rounds.

| path | one at a time p50 ms | added | at ${RATE} req/s p50 ms | added |
|---|---|---|---|---|
${rows.join('\n')}

Redis round trips a request waits for: (${names[3]} − ${redis}) / ${DELAY_MS} ms = **${trips.toFixed(2)}**
(the reservation; settlement runs after the response has been sent). Redis commands per request
in all, from \`INFO commandstats\`: ${r.commandsPerRequest.toFixed(2)}.

## Overshoot without max_tokens

A request without \`max_tokens\` is estimated with \`policy.default_max_output_tokens\`; when an
answer runs longer, settled spend can pass the limit by at most the excess of the requests in
flight over their estimates. Measured through the real enforcer and counters (\`bench/overshoot.ts\`):
a $1 budget, requests estimated at $0.034 (400 input tokens, default cap 1000 output tokens at
$10/$30 per million), one answer in five running to 3000 output tokens ($0.094).

| in flight | admitted | overshoot | bound (excess in flight at the last admission) | within bound |
|---|---|---|---|---|
${overshoot.join('\n')}

## Policy goals

| goal | measured | |
|---|---|---|
| policy adds ≤ 0.3 ms p50 on a single node (5 budgets, one at a time) | ${memory >= 0 ? '+' : ''}${memory.toFixed(3)} ms | ${memory <= 0.3 ? 'PASS' : 'FAIL'} |
| ≤ 1 Redis round trip per request on the multi-replica path (nearest whole number) | ${trips.toFixed(2)} | ${Math.round(trips) <= 1 ? 'PASS' : 'FAIL'} |
`;
}
