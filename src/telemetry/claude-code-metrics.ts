import { usd } from '../core/money.js';
import { MAX_TOKENS } from '../core/usage.js';
import type { TelemetryPoint } from '../storage/ports.js';
import { firstText, nanosToMs, stableRowId } from './attributes.js';
import { USER_KEYS } from './claude-code-events.js';
import type { Attrs, PointItem } from './otlp-model.js';

export const TOKEN_USAGE = 'claude_code.token.usage';
export const COST_USAGE = 'claude_code.cost.usage';

/**
 * More than one session spends between two exports. A larger cost was stored beyond 64 bits
 * of picodollars and failed every cross-check of its window; a million points at this bound
 * still sum within 64 bits of microdollars (see telemetry-store.ts).
 */
const MAX_POINT_USD = 1_000_000;

const TOKEN_TYPES = new Set(['input', 'output', 'cacheRead', 'cacheCreation']);

export function isUsageMetric(p: PointItem): boolean {
  return p.metric === TOKEN_USAGE || p.metric === COST_USAGE;
}

function canonical(a: Attrs): string {
  return JSON.stringify(Object.keys(a).sort().map((k) => [k, a[k]]));
}

/**
 * One stored cross-check point from one data point of Claude Code's usage counters, or a
 * reason to reject it. These counters sum the same calls the `api_request` events report,
 * so they never become ledger rows (that would count every call twice): they are kept
 * beside the ledger to show what Claude Code spent that the ledger does not hold.
 * Only delta points are summable; Claude Code sends delta unless told otherwise.
 */
export function usagePoint(p: PointItem): TelemetryPoint | { reject: string } {
  if (p.kind !== 'sum' || p.temporality !== 1) {
    return { reject: `${p.metric} points must be delta sums: set OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta` };
  }
  const sets = [p.attrs, p.resource];
  const tokenType = p.metric === TOKEN_USAGE ? firstText([p.attrs], ['type']) : null;
  if (p.metric === TOKEN_USAGE && (tokenType === null || !TOKEN_TYPES.has(tokenType))) {
    return { reject: `a ${TOKEN_USAGE} point has type ${tokenType ?? '(none)'}, not one of input, output, cacheRead, cacheCreation` };
  }
  const value = Math.max(0, p.value);
  if (p.metric === TOKEN_USAGE && value > MAX_TOKENS) return { reject: `a ${TOKEN_USAGE} point of ${value} tokens is more than ${MAX_TOKENS}` };
  if (p.metric === COST_USAGE && value > MAX_POINT_USD) return { reject: `a ${COST_USAGE} point of ${value} USD is more than ${MAX_POINT_USD}` };
  const ts = nanosToMs(p.timeNanos) ?? Date.now();
  return {
    id: stableRowId(ts, `claude-code-metric|${p.metric}|${p.startNanos}|${p.timeNanos}|${canonical(p.attrs)}|${canonical(p.resource)}`),
    ts,
    metric: p.metric,
    sessionId: firstText(sets, ['session.id']),
    user: firstText(sets, USER_KEYS),
    model: firstText([p.attrs], ['model']),
    tokenType,
    tokens: p.metric === TOKEN_USAGE ? Math.round(value) : 0,
    // The counter is a double in USD; 12 decimals is a picodollar.
    costPicos: p.metric === COST_USAGE ? usd(value.toFixed(12)) : 0n,
  };
}
