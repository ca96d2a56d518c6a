import { formatUsd } from '../core/money.js';
import { undated } from '../pricing/model-id.js';
import type { AggregateRow, TelemetryTotals } from '../storage/ports.js';

interface Tokens {
  input_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  output_tokens: number;
  cost_usd: string;
}

/** One line of `GET /admin/v1/telemetry/cross-check` (snake_case, as the admin API's JSON is). */
export interface CrossCheckRow {
  session: string;
  /** The model's family (see `modelFamily`): the counters' label and the ledger's served model both go by it. */
  model: string;
  /** What Claude Code's usage counters say was spent (input is uncached, as Claude Code counts it). */
  counters: Tokens;
  /** What the ledger holds for the same session and model, from every source. */
  ledger: Tokens & { requests: number };
  /** Tokens the counters report beyond the ledger's, class by class (0 when the ledger has them all). */
  missing_tokens: number;
}

const CLASSES = ['input_tokens', 'cache_read_tokens', 'cache_write_tokens', 'output_tokens'] as const;

/** Tokens of each class the counters report beyond the ledger's: a class the ledger has more of does not hide another's gap. */
const missing = (counters: Tokens, ledger: Tokens) => CLASSES.reduce((n, c) => n + Math.max(0, counters[c] - ledger[c]), 0);

/**
 * The name a model goes by in both places: Claude Code labels its counters with the model as
 * it was asked for, with its context window (`claude-opus-4-8[1m]`), while the ledger keeps the
 * model the provider reports serving, often a dated snapshot (`claude-sonnet-4-5-20250929`).
 */
export function modelFamily(model: string): string {
  return undated(model.trim().replace(/\[[^\]]*\]$/, ''));
}

/**
 * Compares Claude Code's usage counters with the ledger, per session and model (by its family:
 * see `modelFamily`). A gap means calls the ledger never saw: the logs exporter is off (no
 * `api_request` events), or the developer bypassed the gateway. `ledger` is
 * `aggregate({ by: ['session', 'model'] })`.
 */
export function crossCheck(counters: readonly TelemetryTotals[], ledger: readonly AggregateRow[]): CrossCheckRow[] {
  const key = (session: string, model: string) => `${session}\u0000${modelFamily(model)}`;
  const held = new Map<string, Sum>();
  for (const r of ledger) add(held, key(r.keys[0] ?? '', r.keys[1] ?? ''), r.requests, [Math.max(0, r.inputTokens - r.cacheReadTokens - r.cacheWriteTokens), r.cacheReadTokens, r.cacheWriteTokens, r.outputTokens], r.costPicos);
  const counted = new Map<string, Sum>();
  const named = new Map<string, { session: string; model: string }>();
  for (const c of counters) {
    const k = key(c.sessionId, c.model);
    add(counted, k, 0, [c.inputTokens, c.cacheReadTokens, c.cacheCreationTokens, c.outputTokens], c.costPicos);
    named.set(k, { session: c.sessionId, model: modelFamily(c.model) });
  }
  // Counters exported without a session (OTEL_METRICS_INCLUDE_SESSION_ID=false) sum the model's calls
  // of every session: they are held against the model's rows in the sessions no counter names.
  const unnamed = (model: string): Sum | undefined => {
    let sum: Sum | undefined;
    for (const [k, l] of held) {
      const [session = '', family] = k.split('\u0000');
      if (family !== model || (session !== '' && counted.has(k))) continue;
      sum ??= { requests: 0, tokens: CLASSES.map(() => 0), picos: 0n };
      sum.requests += l.requests;
      l.tokens.forEach((n, i) => (sum!.tokens[i]! += n));
      sum.picos += l.picos;
    }
    return sum;
  };
  return [...counted].map(([k, c]) => {
    const fromCounters = tokensOf(c);
    const { session, model } = named.get(k)!;
    const l = session === '' ? unnamed(model) : held.get(k);
    const fromLedger = { requests: l?.requests ?? 0, ...tokensOf(l) };
    return { session, model, counters: fromCounters, ledger: fromLedger, missing_tokens: missing(fromCounters, fromLedger) };
  });
}

/** Requests, tokens by class (in CLASSES order) and cost, summed per session and model family. */
interface Sum {
  requests: number;
  tokens: number[];
  picos: bigint;
}

function add(sums: Map<string, Sum>, k: string, requests: number, tokens: readonly number[], picos: bigint): void {
  const s = sums.get(k) ?? { requests: 0, tokens: CLASSES.map(() => 0), picos: 0n };
  s.requests += requests;
  tokens.forEach((n, i) => (s.tokens[i]! += n));
  s.picos += picos;
  sums.set(k, s);
}

function tokensOf(s: Sum | undefined): Tokens {
  const [input_tokens = 0, cache_read_tokens = 0, cache_write_tokens = 0, output_tokens = 0] = s?.tokens ?? [];
  return { input_tokens, cache_read_tokens, cache_write_tokens, output_tokens, cost_usd: formatUsd(s?.picos ?? 0n) };
}
