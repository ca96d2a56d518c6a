import { formatUsd } from '../core/money.js';
import type { AggregateRow, TelemetryTotals } from '../storage/ports.js';

export interface CrossCheckRow {
  session: string;
  model: string;
  /** What Claude Code's usage counters say was spent. */
  counters: { inputTokens: number; cacheReadTokens: number; cacheWriteTokens: number; outputTokens: number; costUsd: string };
  /** What the ledger holds for the same session and model, from every source. */
  ledger: { requests: number; inputTokens: number; cacheReadTokens: number; cacheWriteTokens: number; outputTokens: number; costUsd: string };
  /** Tokens the counters report beyond the ledger's (0 when the ledger has them all). */
  missingTokens: number;
}

const total = (t: { inputTokens: number; cacheReadTokens: number; cacheWriteTokens: number; outputTokens: number }) =>
  t.inputTokens + t.cacheReadTokens + t.cacheWriteTokens + t.outputTokens;

/**
 * Compares Claude Code's usage counters with the ledger, per session and model. A gap means
 * calls the ledger never saw: the logs exporter is off (no `api_request` events), or the
 * developer bypassed the gateway. Token counts compare as Claude Code counts them (uncached input).
 * `ledger` rows are `aggregate({ by: ['session', 'model'] })`.
 */
export function crossCheck(counters: readonly TelemetryTotals[], ledger: readonly AggregateRow[]): CrossCheckRow[] {
  const byKey = new Map(ledger.map((r) => [`${r.keys[0] ?? ''}\u0000${r.keys[1] ?? ''}`, r]));
  return counters.map((c) => {
    const l = byKey.get(`${c.sessionId}\u0000${c.model}`);
    const fromCounters = { inputTokens: c.inputTokens, cacheReadTokens: c.cacheReadTokens, cacheWriteTokens: c.cacheCreationTokens, outputTokens: c.outputTokens, costUsd: formatUsd(c.costPicos) };
    const fromLedger = {
      requests: l?.requests ?? 0,
      inputTokens: l ? Math.max(0, l.inputTokens - l.cacheReadTokens - l.cacheWriteTokens) : 0,
      cacheReadTokens: l?.cacheReadTokens ?? 0,
      cacheWriteTokens: l?.cacheWriteTokens ?? 0,
      outputTokens: l?.outputTokens ?? 0,
      costUsd: formatUsd(l?.costPicos ?? 0n),
    };
    return { session: c.sessionId, model: c.model, counters: fromCounters, ledger: fromLedger, missingTokens: Math.max(0, total(fromCounters) - total(fromLedger)) };
  });
}
