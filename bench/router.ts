import { writeMarkedSection } from './sections.js';
import { Agent, request } from 'undici';
import { Router } from '../src/routing/router.js';
import { DEFAULT_AFFINITY, DEFAULT_HEALTH, DEFAULT_QUEUE, DEFAULT_RETRY, type Deployment, type Route } from '../src/routing/types.js';
import { type Target, bodyFor, sequentialLatency } from './load.js';
import { type Proc, startTollgate, startUpstream } from './processes.js';
import { median } from './stats.js';

// Router overhead: the plain single-provider path against a configured route with three
// deployments (weights, rpm/tpm capacities, health tracking, rate-limit headers read from
// every response, cache affinity), side by side in one run against one fast upstream.
// `npm run bench:router`; writes its section of docs/benchmarks.md.

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const PAIRS = Number(process.env.PAIRS ?? 400);
const MICRO_N = 20_000;

const ROUTES = (upstream: string) => `routing:
  retry: { attempts: 3 }
  affinity: { enabled: true }
routes:
  - model: "gpt-5*"
    deployments:
      - { provider: openai, name: east, weight: 3, rpm: 1000000, tpm: 1000000000 }
      - { provider: openai, name: west, base_url: "${upstream}", weight: 2, rpm: 1000000, tpm: 1000000000 }
      - { provider: openai, name: backup, order: 1, timeouts: { first_byte_ms: 30000 } }
    fallbacks: [gpt-4.1]
  - model: "gpt-4.1"
    deployments: [{ provider: openai, name: fallback }]
`;

interface Round {
  plain: number;
  routed: number;
  /** Median of per-pair differences (router minus plain). */
  added: number;
}

/**
 * Requests sent one at a time, alternating plain and routed (which goes first flips every
 * pair), so that both see the same moment of a noisy machine; the per-pair difference is
 * what the router adds.
 */
async function pairedRound(plain: Target, routed: Target, n: number): Promise<Round> {
  const agent = new Agent({ connections: 4, keepAliveTimeout: 60_000 });
  const once = async (t: Target) => {
    const start = performance.now();
    const res = await request(`${t.url}/v1/chat/completions`, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json', ...t.headers }, body: bodyFor(false) });
    await res.body.dump();
    if (res.statusCode !== 200) throw new Error(`${t.name}: HTTP ${res.statusCode}`);
    return performance.now() - start;
  };
  const a: number[] = [];
  const b: number[] = [];
  const d: number[] = [];
  for (let i = 0; i < n; i++) {
    let pa: number;
    let rb: number;
    if (i % 2 === 0) {
      pa = await once(plain);
      rb = await once(routed);
    } else {
      rb = await once(routed);
      pa = await once(plain);
    }
    a.push(pa);
    b.push(rb);
    d.push(rb - pa);
  }
  await agent.close();
  return { plain: median(a), routed: median(b), added: median(d) };
}

/** The router's own work per request, in process: plan, pick, start, and the report with rate-limit headers. */
function micro(): { usPerRequest: number[] } {
  const dep = (id: string, o: Partial<Deployment>): Deployment => ({ id, provider: 'openai', dialect: 'openai', baseUrl: 'http://x', apiKey: undefined, headers: {}, catalog: undefined, model: undefined, weight: 1, order: 0, rpm: 1_000_000, tpm: 1_000_000_000, timeouts: { firstByteMs: 1000, requestMs: undefined }, ...o });
  const fallback: Route = { model: 'gpt-4.1', deployments: [dep('fallback', {})], fallbacks: [], retry: DEFAULT_RETRY, queue: DEFAULT_QUEUE, affinity: DEFAULT_AFFINITY };
  const route: Route = { ...fallback, model: 'gpt-5*', deployments: [dep('east', { weight: 3 }), dep('west', { weight: 2 }), dep('backup', { order: 1 })], fallbacks: ['gpt-4.1'] };
  const router = new Router([route, fallback], DEFAULT_HEALTH);
  const headers = { 'x-ratelimit-limit-requests': '100000', 'x-ratelimit-remaining-requests': '99999', 'x-ratelimit-reset-requests': '6ms', 'x-ratelimit-limit-tokens': '30000000', 'x-ratelimit-remaining-tokens': '29999000', 'x-ratelimit-reset-tokens': '0s' };
  const out: number[] = [];
  for (let round = 0; round < 6; round++) {
    const start = performance.now();
    for (let i = 0; i < MICRO_N; i++) {
      const r = router.routeFor('openai', 'gpt-5')!;
      const plan = router.plan(r, 'gpt-5', undefined);
      const p = router.next(plan, 100);
      if (p.kind !== 'go') throw new Error('no deployment');
      router.started(plan, p.c, 100);
      router.finished(plan, p.c, 100, { kind: 'ok', headers, tokens: 90 });
    }
    // The first round warms the JIT up and is not counted.
    if (round > 0) out.push(((performance.now() - start) * 1000) / MICRO_N);
  }
  return { usPerRequest: out };
}

async function main(): Promise<void> {
  const procs: Proc[] = [];
  const log = (s: string) => process.stdout.write(s + '\n');
  try {
    const m = micro();
    log(`router work in process: ${m.usPerRequest.map((u) => u.toFixed(2)).join(', ')} µs per request`);
    const up = await startUpstream({ BENCH_RATE_HEADERS: '1' });
    procs.push(up);
    const start = async (name: string, extra: string): Promise<Target> => {
      const t = await startTollgate(up.url, extra, name);
      procs.push(t.proc);
      return { name, url: t.proc.url, headers: { authorization: `Bearer ${t.key}` } };
    };
    const plain = await start('plain path', '');
    const routed = await start('router (3 deployments)', ROUTES(up.url));
    for (const t of [plain, routed]) await sequentialLatency(t, 200); // warm-up
    const rounds: Round[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const round = await pairedRound(plain, routed, PAIRS);
      log(`router round ${r + 1}: plain ${round.plain.toFixed(3)} ms, router ${round.routed.toFixed(3)} ms, added ${round.added.toFixed(3)} ms`);
      rounds.push(round);
    }
    writeSection(rounds, median(m.usPerRequest));
  } finally {
    for (const p of procs.reverse()) await p.stop();
  }
}

function writeSection(rounds: Round[], microUs: number): void {
  const med = (f: (r: Round) => number) => median(rounds.map(f));
  const added = med((r) => r.added);
  const sign = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
  const section = `
## Router overhead

Generated by \`npm run bench:router\` on ${new Date().toISOString().slice(0, 10)}. Two gateways (the built CLI, SQLite) in
front of one fast fake OpenAI upstream that sends OpenAI's rate-limit headers on every answer: the
*plain path* (one provider, no routes) and a *router* with one route of three deployments (weights
3:2, rpm and tpm capacities, one on a higher order, per-deployment timeouts), a fallback model,
health tracking, rate-limit headers read from every response and cache affinity on. Non-streamed
chat completions are sent one at a time, alternating plain and routed (${PAIRS} pairs per round, the
first of each pair flipping), so both see the same moment of the machine; *added* is the median of
the per-pair differences, then the median over ${rounds.length} rounds. The machine has 2 cores shared with
other work: absolute latencies are noisy; read the paired difference and the in-process cost.

| path | one at a time p50 ms (median of rounds) |
|---|---|
| plain path | ${med((r) => r.plain).toFixed(3)} |
| router (3 deployments) | ${med((r) => r.routed).toFixed(3)} |
| added (median of paired differences) | ${sign(added)} |

Per round, added ms: ${rounds.map((r) => sign(r.added)).join(', ')}.

The router's own work per request, timed in process (route lookup, candidates, pick, start, and
the report that reads the rate-limit headers and updates health; ${MICRO_N.toLocaleString('en-US')} requests, median of 5 runs):
**${microUs.toFixed(2)} µs**.

| goal | measured | |
|---|---|---|
| router adds ≤ 0.2 ms p50 | ${sign(added)} ms paired; ${(microUs / 1000).toFixed(4)} ms of router work | ${added <= 0.2 ? 'PASS' : 'FAIL'} |
`;
  writeMarkedSection('router', section);
  process.stdout.write(section + '\n');
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
