import { formatUsd } from '../core/money.js';
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
 * Compares Claude Code's usage counters with the ledger, per session and model. A gap means
 * calls the ledger never saw: the logs exporter is off (no `api_request` events), or the
 * developer bypassed the gateway. `ledger` is `aggregate({ by: ['session', 'model'] })`.
 */
export function crossCheck(counters: readonly TelemetryTotals[], ledger: readonly AggregateRow[]): CrossCheckRow[] {
  const byKey = new Map(ledger.map((r) => [`${r.keys[0] ?? ''}\u0000${r.keys[1] ?? ''}`, r]));
  return counters.map((c) => {
    const l = byKey.get(`${c.sessionId}\u0000${c.model}`);
    const fromCounters: Tokens = {
      input_tokens: c.inputTokens,
      cache_read_tokens: c.cacheReadTokens,
      cache_write_tokens: c.cacheCreationTokens,
      output_tokens: c.outputTokens,
      cost_usd: formatUsd(c.costPicos),
    };
    const fromLedger = {
      requests: l?.requests ?? 0,
      input_tokens: l ? Math.max(0, l.inputTokens - l.cacheReadTokens - l.cacheWriteTokens) : 0,
      cache_read_tokens: l?.cacheReadTokens ?? 0,
      cache_write_tokens: l?.cacheWriteTokens ?? 0,
      output_tokens: l?.outputTokens ?? 0,
      cost_usd: formatUsd(l?.costPicos ?? 0n),
    };
    return { session: c.sessionId, model: c.model, counters: fromCounters, ledger: fromLedger, missing_tokens: missing(fromCounters, fromLedger) };
  });
}
