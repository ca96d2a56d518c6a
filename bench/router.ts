import { writeMarkedSection } from './sections.js';
import { Agent, request } from 'undici';
import { parse } from 'yaml';
import { Router } from '../src/routing/router.js';
import { type RouteEnv, planRoute } from '../src/routing/rules/plan.js';
import type { RoutingRule } from '../src/routing/rules/rule.js';
import { routingRuleInput, toRoutingRule } from '../src/routing/rules/rule-input.js';
import { type RouteRequest, RuleRouter } from '../src/routing/rules/router.js';
import { DEFAULT_AFFINITY, DEFAULT_HEALTH, DEFAULT_QUEUE, DEFAULT_RETRY, type Deployment, type Route } from '../src/routing/types.js';
import { type Target, bodyFor, sequentialLatency } from './load.js';
import { type Proc, startTollgate, startUpstream } from './processes.js';
import { median } from './stats.js';

// Router overhead: the plain single-provider path against a configured route with three
// deployments (weights, rpm/tpm capacities, health tracking, rate-limit headers read from
// every response, cache affinity), and against the same route with routing rules in front,
// side by side in one run against one fast upstream.
// `npm run bench:router [-- --quick]`; writes its section of docs/benchmarks.md.

const quick = process.argv.includes('--quick');
const ROUNDS = Number(process.env.ROUNDS ?? (quick ? 1 : 5));
const PAIRS = Number(process.env.PAIRS ?? (quick ? 100 : 400));
const MICRO_N = quick ? 5000 : 20_000;

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

// Rules a team would write: three that stop at a cheap condition (one naming a deployment),
// then one that needs the body (tools, the input-token estimate) and matches every request
// here, in shadow mode, so its would-be saving is priced on every row too.
const RULES = `routing_rules:
  - { id: data-team, mode: enforce, match: { team: data }, action: { model: gpt-4.1 } }
  - { id: ci-to-backup, mode: enforce, match: { headers: { x-ci: "*" } }, action: { deployment: backup } }
  - { id: nightly, mode: shadow, match: { tags: { workflow: nightly } }, action: { model: gpt-4.1 } }
  - { id: small-to-41, mode: shadow, match: { model: "gpt-5*", tools: false, input_tokens: { lt: 2000 } }, action: { model: gpt-4.1 } }
`;

interface Round {
  plain: number;
  routed: number;
  ruled: number;
  /** Median of per-set differences (router minus plain, router with rules minus plain). */
  added: number;
  addedRules: number;
}

/**
 * Requests sent one at a time, rotating through plain, routed and routed with rules (which
 * goes first turns every set), so that all three see the same moment of a noisy machine;
 * the per-set difference is what the router (and its rules) add.
 */
async function pairedRound(plain: Target, routed: Target, ruled: Target, n: number): Promise<Round> {
  const agent = new Agent({ connections: 4, keepAliveTimeout: 60_000 });
  const once = async (t: Target) => {
    const start = performance.now();
    const res = await request(`${t.url}/v1/chat/completions`, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json', ...t.headers }, body: bodyFor(false) });
    await res.body.dump();
    if (res.statusCode !== 200) throw new Error(`${t.name}: HTTP ${res.statusCode}`);
    return performance.now() - start;
  };
  const targets = [plain, routed, ruled];
  const times: number[][] = [[], [], []];
  const d: number[] = [];
  const dr: number[] = [];
  for (let i = 0; i < n; i++) {
    const t: number[] = [];
    for (let k = 0; k < 3; k++) {
      const j = (i + k) % 3;
      t[j] = await once(targets[j]!);
    }
    t.forEach((ms, j) => times[j]!.push(ms));
    d.push(t[1]! - t[0]!);
    dr.push(t[2]! - t[0]!);
  }
  await agent.close();
  return { plain: median(times[0]!), routed: median(times[1]!), ruled: median(times[2]!), added: median(d), addedRules: median(dr) };
}

/**
 * The router's own work per request, in process: plan, pick, start, and the report with
 * rate-limit headers; and the same preceded by the rules (RULES above) deciding.
 */
function micro(): { usPerRequest: number[]; usWithRules: number[] } {
  const dep = (id: string, o: Partial<Deployment>): Deployment => ({ id, provider: 'openai', dialect: 'openai', baseUrl: 'http://x', apiKey: undefined, headers: {}, catalog: undefined, model: undefined, weight: 1, order: 0, rpm: 1_000_000, tpm: 1_000_000_000, timeouts: { firstByteMs: 1000, requestMs: undefined }, ...o });
  const fallback: Route = { model: 'gpt-4.1', deployments: [dep('fallback', {})], fallbacks: [], retry: DEFAULT_RETRY, queue: DEFAULT_QUEUE, affinity: DEFAULT_AFFINITY };
  const route: Route = { ...fallback, model: 'gpt-5*', deployments: [dep('east', { weight: 3 }), dep('west', { weight: 2 }), dep('backup', { order: 1 })], fallbacks: ['gpt-4.1'] };
  const router = new Router([route, fallback], DEFAULT_HEALTH);
  const headers = { 'x-ratelimit-limit-requests': '100000', 'x-ratelimit-remaining-requests': '99999', 'x-ratelimit-reset-requests': '6ms', 'x-ratelimit-limit-tokens': '30000000', 'x-ratelimit-remaining-tokens': '29999000', 'x-ratelimit-reset-tokens': '0s' };
  const rules = new RuleRouter(parseRules());
  const json = JSON.parse(bodyFor(false)) as { max_completion_tokens: number };
  const req: RouteRequest = { api: 'openai.chat', model: 'gpt-5', keyId: 'key_1', user: 'bench', team: 'perf', project: null, tags: {}, headers: { 'content-type': 'application/json' }, json, maxOutputTokens: json.max_completion_tokens };
  const env: RouteEnv = {
    allowed: () => true,
    select: (_, name) => ({ name: name ?? 'openai', catalog: 'openai' }),
    deployment: (id, model) => {
      const d = router.deployment(id);
      return d && { name: d.provider, catalog: d.catalog, upstreamModel: d.model ?? model };
    },
  };
  const cycle = () => {
    const r = router.routeFor('openai', 'gpt-5')!;
    const plan = router.plan(r, 'gpt-5', undefined);
    const p = router.next(plan, 100);
    if (p.kind !== 'go') throw new Error('no deployment');
    router.started(plan, p.c, 100);
    router.finished(plan, p.c, 100, { kind: 'ok', headers, tokens: 90 });
  };
  const out: number[] = [];
  const withRules: number[] = [];
  for (let round = 0; round < 6; round++) {
    const start = performance.now();
    for (let i = 0; i < MICRO_N; i++) cycle();
    const mid = performance.now();
    for (let i = 0; i < MICRO_N; i++) {
      if (planRoute(rules, req, env)?.rule !== 'small-to-41') throw new Error('the benchmark rule did not match');
      cycle();
    }
    // The first round warms the JIT up and is not counted.
    if (round > 0) {
      out.push(((mid - start) * 1000) / MICRO_N);
      withRules.push(((performance.now() - mid) * 1000) / MICRO_N);
    }
  }
  return { usPerRequest: out, usWithRules: withRules };
}

/** RULES as the config loader reads them, so the in-process case runs the very rules the gateway does. */
function parseRules(): RoutingRule[] {
  const f = parse(RULES) as { routing_rules: unknown[] };
  return f.routing_rules.map((r) => toRoutingRule(routingRuleInput.parse(r)));
}

async function main(): Promise<void> {
  const procs: Proc[] = [];
  const log = (s: string) => process.stdout.write(s + '\n');
  try {
    const m = micro();
    log(`router work in process: ${m.usPerRequest.map((u) => u.toFixed(2)).join(', ')} µs per request`);
    log(`router + rules work in process: ${m.usWithRules.map((u) => u.toFixed(2)).join(', ')} µs per request`);
    const up = await startUpstream({ BENCH_RATE_HEADERS: '1' });
    procs.push(up);
    const start = async (name: string, extra: string): Promise<Target> => {
      const t = await startTollgate(up.url, extra, name);
      procs.push(t.proc);
      return { name, url: t.proc.url, headers: { authorization: `Bearer ${t.key}` } };
    };
    const plain = await start('plain path', '');
    const routed = await start('router (3 deployments)', ROUTES(up.url));
    const ruled = await start('router + rules', ROUTES(up.url) + RULES);
    for (const t of [plain, routed, ruled]) await sequentialLatency(t, quick ? 50 : 200); // warm-up
    const rounds: Round[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const round = await pairedRound(plain, routed, ruled, PAIRS);
      log(`router round ${r + 1}: plain ${round.plain.toFixed(3)} ms, router ${round.routed.toFixed(3)} ms (added ${round.added.toFixed(3)}), router + rules ${round.ruled.toFixed(3)} ms (added ${round.addedRules.toFixed(3)})`);
      rounds.push(round);
    }
    writeSection(rounds, median(m.usPerRequest), median(m.usWithRules));
  } finally {
    for (const p of procs.reverse()) await p.stop();
  }
}

function writeSection(rounds: Round[], microUs: number, microRulesUs: number): void {
  const med = (f: (r: Round) => number) => median(rounds.map(f));
  const added = med((r) => r.added);
  const addedRules = med((r) => r.addedRules);
  const sign = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
  const section = `
## Router overhead

Generated by \`npm run bench:router\`${quick ? ' (--quick: one short round, a smoke test rather than a measurement)' : ''} on ${new Date().toISOString().slice(0, 10)}. Three gateways (the built CLI, SQLite) in
front of one fast fake OpenAI upstream that sends OpenAI's rate-limit headers on every answer: the
*plain path* (one provider, no routes); a *router* with one route of three deployments (weights
3:2, rpm and tpm capacities, one on a higher order, per-deployment timeouts), a fallback model,
health tracking, rate-limit headers read from every response and cache affinity on; and
*router + rules*, the same route behind four routing rules (three that stop at a cheap condition,
one of them naming a deployment, and a shadow rule that reads the body's tools and input-token
estimate, matches every request and prices its would-be saving). Non-streamed chat completions
are sent one at a time, rotating through the three (${PAIRS} sets per round, the first of each set
turning), so all see the same moment of the machine; *added* is the median of the per-set
differences from the plain path, then the median over ${rounds.length} round(s). The machine has 2 cores shared
with other work: absolute latencies are noisy; read the paired differences and the in-process cost.

| path | one at a time p50 ms (median of rounds) |
|---|---|
| plain path | ${med((r) => r.plain).toFixed(3)} |
| router (3 deployments) | ${med((r) => r.routed).toFixed(3)} |
| router + rules | ${med((r) => r.ruled).toFixed(3)} |
| added by the router (median of paired differences) | ${sign(added)} |
| added by the router + rules (median of paired differences) | ${sign(addedRules)} |

Per round, added ms: router ${rounds.map((r) => sign(r.added)).join(', ')}; router + rules ${rounds.map((r) => sign(r.addedRules)).join(', ')}.

The router's own work per request, timed in process (route lookup, candidates, pick, start, and
the report that reads the rate-limit headers and updates health; ${MICRO_N.toLocaleString('en-US')} requests, median of 5 runs):
**${microUs.toFixed(2)} µs**; with the four rules deciding first (\`planRoute\`, provider checks stubbed): **${microRulesUs.toFixed(2)} µs**.

| goal | measured | |
|---|---|---|
| router adds ≤ 0.2 ms p50 | ${sign(added)} ms paired; ${(microUs / 1000).toFixed(4)} ms of router work | ${added <= 0.2 ? 'PASS' : 'FAIL'} |
| router + rules add ≤ 0.2 ms p50 | ${sign(addedRules)} ms paired; ${(microRulesUs / 1000).toFixed(4)} ms of router and rule work | ${addedRules <= 0.2 ? 'PASS' : 'FAIL'} |
`;
  writeMarkedSection('router', section);
  process.stdout.write(section + '\n');
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
