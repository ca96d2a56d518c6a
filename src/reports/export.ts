import { isoOrNull } from '../core/instant.js';
import type { LedgerRow } from '../core/ledger-row.js';
import { formatUsd } from '../core/money.js';
import { csvLine } from './csv.js';

/** Export columns, named exactly as documented. New columns go at the end, so that existing consumers keep working. */
export const EXPORT_COLUMNS = [
  'id', 'ts', 'api', 'provider', 'model', 'model_requested', 'key_id', 'user', 'team', 'project', 'session_id', 'client', 'tags', 'stream', 'status', 'outcome', 'error_type',
  'input_tokens', 'cache_read_tokens', 'cache_write_tokens', 'cache_write_1h_tokens', 'output_tokens', 'reasoning_tokens', 'tool_calls', 'latency_ms', 'ttft_ms', 'cost_usd', 'usage_source', 'unpriced', 'attempts', 'pool',
  'route_rule', 'route_mode', 'route_saving_usd',
  'upstream_request_id', 'source', 'response_id', 'service_tier',
] as const;


function values(r: LedgerRow): Record<(typeof EXPORT_COLUMNS)[number], unknown> {
  return {
    id: r.id, ts: isoOrNull(r.ts), api: r.api, provider: r.provider, model: r.model, model_requested: r.modelRequested, key_id: r.keyId,
    user: r.user, team: r.team, project: r.project, session_id: r.sessionId, client: r.client, tags: r.tags, stream: r.stream, status: r.status,
    outcome: r.outcome, error_type: r.errorType, input_tokens: r.inputTokens, cache_read_tokens: r.cacheReadTokens, cache_write_tokens: r.cacheWriteTokens,
    cache_write_1h_tokens: r.cacheWrite1hTokens, output_tokens: r.outputTokens, reasoning_tokens: r.reasoningTokens, tool_calls: r.toolCalls,
    latency_ms: r.latencyMs, ttft_ms: r.ttftMs, cost_usd: r.costPicos, usage_source: r.usageSource, unpriced: r.unpriced, attempts: r.attempts,
    pool: r.pool, route_rule: r.routeRule, route_mode: r.routeMode, route_saving_usd: r.routeSavingPicos, upstream_request_id: r.upstreamRequestId, source: r.source,
    response_id: r.responseId ?? null, service_tier: r.serviceTier ?? null,
  };
}

const COST_MARK = '"__tollgate_cost_usd__"';
const SAVING_MARK = '"__tollgate_route_saving_usd__"';

/**
 * One JSON line per row. `cost_usd` and `route_saving_usd` are written as exact decimal
 * numbers (to 1e-12), spliced in as text, because a JSON number built from a double would round them.
 */
export function toJsonLine(r: LedgerRow): string {
  let text = JSON.stringify({
    ...values(r),
    cost_usd: r.costPicos === null ? null : COST_MARK.slice(1, -1),
    route_saving_usd: r.routeSavingPicos === null ? null : SAVING_MARK.slice(1, -1),
  });
  // Found as the member `"name":<mark>`: only tags, serialised before them, can repeat that text
  // (inside a string value, such as pool's, the quotes are escaped), so the last one is ours.
  const splice = (name: string, mark: string, p: bigint) => {
    const at = text.lastIndexOf(`"${name}":${mark}`) + name.length + 3;
    text = text.slice(0, at) + formatUsd(p) + text.slice(at + mark.length);
  };
  if (r.routeSavingPicos !== null) splice('route_saving_usd', SAVING_MARK, r.routeSavingPicos);
  if (r.costPicos !== null) splice('cost_usd', COST_MARK, r.costPicos);
  return text + '\n';
}

export function csvHeader(): string {
  return csvLine([...EXPORT_COLUMNS]);
}

/** A tag value in the CSV's `k=v;k=v`: its `%` and `;` percent-encoded, so that a value holding `;` stays one tag. */
const tagValue = (v: string) => (v.includes(';') || v.includes('%') ? v.replaceAll('%', '%25').replaceAll(';', '%3B') : v);

/** One CSV line per row; tags as `k=v;k=v`. */
export function toCsvLine(r: LedgerRow): string {
  const v = values(r);
  return csvLine(
    EXPORT_COLUMNS.map((c) => {
      const x = v[c];
      if (c === 'tags') return Object.entries(r.tags).map(([k, val]) => `${k}=${tagValue(val)}`).join(';');
      if (c === 'cost_usd') return r.costPicos === null ? null : formatUsd(r.costPicos);
      if (c === 'route_saving_usd') return r.routeSavingPicos === null ? null : formatUsd(r.routeSavingPicos);
      return x as string | number | boolean | null;
    }),
  );
}
