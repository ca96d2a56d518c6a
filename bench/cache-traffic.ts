import type { LedgerRow } from '../src/core/ledger-row.js';
import { rng, sampleRow } from '../src/storage/testing/rows.js';

// Seeded agent traffic with prompt caching, for auditing the cache-hit regression detector
// (bench/cache-warm-audit.ts): sessions of a main thread whose context grows, sub-agents sharing the
// session id with a system prompt of their own, small uncached calls to another model, context
// compaction, pauses past the cache's TTL, and a daily curve. Cache reads are simulated in time
// order: a request reads its thread's previous prompt if that thread called within 5 minutes, else
// the prefix its workflow's other sessions share (system prompt and tools) if any of them did, else nothing.

const MIN = 60_000;
const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
const TTL = 5 * MIN;

export interface Workflow {
  name: string;
  model: string;
  /** Requests per 5 minutes aimed at, at the busiest hours of a weekday. */
  peak: number;
  /** Median seconds between a thread's requests. */
  gapS: number;
  /** Main-thread requests per session, log-uniform between these. */
  length: [number, number];
  /** System prompt and tools, shared by the workflow's sessions. */
  prefix: number;
  /** Tokens a turn adds to the context, uniform up to this. */
  turn: number;
  /** Per main-thread request: a Task sub-agent follows (1 to 3 in parallel). */
  subAgent: number;
  /** Per main-thread request: a small call to haiku, too short to cache. */
  sideCall: number;
  /** Per main-thread request: the user pauses 6 to 40 minutes. */
  pause: number;
  /** The context is summarised past this many tokens. */
  compactAt: number;
  /** Per main-thread request: its prompt's start changed (an MCP server connected, a settings change), so it reads nothing. */
  invalidate?: number;
}

interface Call {
  ts: number;
  workflow: string;
  session: string;
  /** The thread whose prompt it extends (main or a sub-agent); '' for an uncached call. */
  thread: string;
  /** Whose shared prefix it starts with. */
  prefixKey: string;
  prefix: number;
  model: string;
  input: number;
  output: number;
  /** Its thread's earlier prompt is no longer its prefix (compacted). */
  reset: boolean;
  /** Nothing of it is cached (its prompt's start changed). */
  miss?: boolean;
}

/** Relative activity per UTC hour of a weekday; weekends at a fifth. */
const CURVE = [0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 0.7, 1, 1, 1, 0.7, 1, 1, 1, 1, 0.7, 0.4, 0.15, 0.15, 0.1, 0.05, 0.05];

function activity(t: number): number {
  const d = new Date(t);
  const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6;
  return CURVE[d.getUTCHours()]! * (weekend ? 0.2 : 1);
}

/** Planted breaks: from `at`, for `forMs`, the workflows' requests read nothing from cache (a timestamp at the top of the prompt). */
export interface Break {
  at: number;
  forMs: number;
}

export function traffic(workflows: readonly Workflow[], start: number, days: number, seed: number, breaks: readonly Break[] = [], scale = new Map<string, number>()): LedgerRow[] {
  const r = rng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1e-12 + r())) * Math.cos(2 * Math.PI * r());
  const calls: Call[] = [];
  let sessions = 0;
  for (const w of workflows) {
    const gap = () => Math.round(Math.min(280_000, Math.max(2000, w.gapS * 1000 * Math.exp(0.7 * normal()))));
    const meanLength = (w.length[1] - w.length[0]) / Math.log(w.length[1] / w.length[0]);
    // Sessions a minute at the busiest hours, for `peak` requests per 5 minutes (sub-agents and side calls included), then scaled as measured.
    const perMain = 1 + w.subAgent * 2 * 6 + w.sideCall;
    const perMinute = ((w.peak / 5) * (scale.get(w.name) ?? 1)) / (meanLength * perMain);
    for (let t = start; t < start + days * DAY; t += MIN) {
      const n = poisson(r, perMinute * activity(t));
      for (let k = 0; k < n; k++) {
        const session = `${w.name}-s${sessions++}`;
        const requests = Math.round(w.length[0] * Math.pow(w.length[1] / w.length[0], r()));
        let at = t + Math.floor(r() * MIN);
        let context = w.prefix + 500 + Math.floor(r() * 3000);
        let reset = false;
        for (let i = 0; i < requests; i++) {
          const output = 100 + Math.floor(r() * 1500);
          calls.push({ ts: at, workflow: w.name, session, thread: `${session}/main`, prefixKey: `${w.name}/main`, prefix: w.prefix, model: w.model, input: context, output, reset, miss: r() < (w.invalidate ?? 0) });
          reset = false;
          if (r() < w.sideCall) calls.push({ ts: at + 500, workflow: w.name, session, thread: '', prefixKey: '', prefix: 0, model: 'claude-haiku-4-5', input: 300 + Math.floor(r() * 2500), output: 30, reset: false });
          let next = at + gap();
          if (r() < w.subAgent) {
            // Sub-agents run while the main thread waits for them: its next call comes when the longest has ended.
            let end = at;
            const parallel = 1 + Math.floor(r() * 3);
            for (let a = 0; a < parallel; a++) {
              const model = r() < 0.3 ? 'claude-haiku-4-5' : w.model;
              let s = at + 2000 + Math.floor(r() * 8000);
              let sub = 3000 + Math.floor(r() * 6000) + Math.floor(r() * 4000);
              const steps = 2 + Math.floor(r() * 11);
              for (let j = 0; j < steps; j++) {
                calls.push({ ts: s, workflow: w.name, session, thread: `${session}/sub${i}.${a}`, prefixKey: `${w.name}/sub/${model}`, prefix: 2500, model, input: sub, output: 200 + Math.floor(r() * 800), reset: false });
                sub += 1000 + Math.floor(r() * 6000);
                s += 3000 + Math.floor(r() * 25_000);
              }
              end = Math.max(end, s);
            }
            next = end + Math.round(gap() / 4);
          }
          if (r() < w.pause) next += 6 * MIN + Math.floor(r() * 34 * MIN);
          at = next;
          context += output + Math.floor(r() * w.turn);
          if (context > w.compactAt) {
            context = w.prefix + 8000 + Math.floor(r() * 12_000);
            reset = true;
          }
        }
      }
    }
  }
  calls.sort((a, b) => a.ts - b.ts);
  if (calls.some((c) => !Number.isInteger(c.ts))) throw new Error('traffic: a ts is not whole milliseconds');
  const threads = new Map<string, { ts: number; input: number }>();
  const prefixes = new Map<string, number>();
  const rows: LedgerRow[] = [];
  for (const [i, c] of calls.entries()) {
    let read = 0;
    if (c.thread) {
      const last = threads.get(c.thread);
      const shared = prefixes.get(`${c.prefixKey}/${c.model}`);
      if (last && c.ts - last.ts <= TTL && !c.reset) read = Math.min(last.input, c.input);
      else if (shared !== undefined && c.ts - shared <= TTL) read = Math.min(c.prefix, c.input);
      threads.set(c.thread, { ts: c.ts, input: c.input });
      prefixes.set(`${c.prefixKey}/${c.model}`, c.ts);
    }
    if (c.miss || breaks.some((b) => c.ts >= b.at && c.ts < b.at + b.forMs)) read = 0;
    const write = c.thread ? c.input - read : 0;
    rows.push(
      sampleRow({
        id: `c${i}`, ts: c.ts, api: 'anthropic.messages', provider: 'anthropic', model: c.model, modelRequested: c.model, keyId: `key_${c.workflow}`, user: c.workflow, team: 'agents',
        sessionId: c.session, client: 'claude-code', tags: { workflow: c.workflow }, inputTokens: c.input, cacheReadTokens: read, cacheWriteTokens: write, outputTokens: c.output, reasoningTokens: 0,
        costPicos: BigInt(c.input - read) * 3_000_000n + BigInt(read) * 300_000n + BigInt(c.output) * 15_000_000n, upstreamRequestId: `req_${i}`,
      }),
    );
  }
  return rows;
}

function poisson(r: () => number, lambda: number): number {
  const limit = Math.exp(-lambda);
  let k = 0;
  for (let p = r(); p > limit; p *= r()) k++;
  return k;
}

/** Requests per 5 minutes of each workflow, averaged over weekday hours 09:00-17:00 UTC. */
export function peakRate(rows: readonly LedgerRow[]): Map<string, number> {
  const n = new Map<string, number>();
  const weekdays = new Set<number>();
  for (const x of rows) {
    const d = new Date(x.ts);
    if (d.getUTCDay() === 0 || d.getUTCDay() === 6 || d.getUTCHours() < 9 || d.getUTCHours() >= 17 || d.getUTCHours() === 12) continue;
    weekdays.add(Math.floor(x.ts / DAY));
    const w = x.tags.workflow!;
    n.set(w, (n.get(w) ?? 0) + 1);
  }
  return new Map([...n].map(([w, c]) => [w, c / (weekdays.size * 7 * 12)]));
}
