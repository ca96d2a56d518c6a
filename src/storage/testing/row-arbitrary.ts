import fc from 'fast-check';
import { APIS, OUTCOMES } from '../../core/api.js';
import type { LedgerRow } from '../../core/ledger-row.js';
import { MAX_ROW_PICOS } from '../../core/money.js';
import { USAGE_SOURCES } from '../../core/usage.js';

// Test support: any ledger row the gateway or an import can produce, for property tests. Its text
// fields take any characters (NUL, line separators, quotes, the names of the export's money
// members), its counts and money run to their limits.

const text = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 10 }), fc.constantFrom('"cost_usd":', 'cost_usd', '\u0000', '\\', '\u2028', 'é'));
const optional = fc.option(text, { nil: null });
const count = fc.nat({ max: 2_000_000_000 });
const picos = fc.option(fc.bigInt({ min: -MAX_ROW_PICOS, max: MAX_ROW_PICOS }), { nil: null });

const fields = fc.record({
  id: fc.string({ minLength: 1, maxLength: 40 }),
  // Whole milliseconds from 1970 to 2200.
  ts: fc.integer({ min: 0, max: 7_258_118_400_000 }),
  api: fc.constantFrom(...APIS),
  provider: text,
  model: text,
  modelRequested: text,
  keyId: optional,
  user: optional,
  team: optional,
  project: optional,
  sessionId: optional,
  client: optional,
  tags: fc.dictionary(fc.oneof(text, fc.constantFrom('cost_usd', 'route_saving_usd')), text, { maxKeys: 4 }),
  stream: fc.boolean(),
  status: fc.integer({ min: 0, max: 599 }),
  outcome: fc.constantFrom(...OUTCOMES),
  errorType: optional,
  inputTokens: count,
  cacheReadTokens: count,
  cacheWriteTokens: count,
  cacheWrite1hTokens: count,
  outputTokens: count,
  reasoningTokens: count,
  toolCalls: fc.nat({ max: 1000 }),
  latencyMs: count,
  ttftMs: fc.option(count, { nil: null }),
  // A cost is never negative; a routing saving may be.
  costPicos: picos.map((p) => (p !== null && p < 0n ? -p : p)),
  usageSource: fc.constantFrom(...USAGE_SOURCES),
  unpriced: fc.boolean(),
  attempts: fc.integer({ min: 1, max: 10 }),
  upstreamRequestId: optional,
  source: fc.constantFrom('gateway', 'claude-code-log', 'codex-log', 'otlp'),
  pool: optional,
  routeRule: optional,
  routeMode: fc.constantFrom(null, 'enforce' as const, 'shadow' as const),
  routeSavingPicos: picos,
  lastTurnHash: fc.constant(null),
});

/** A row, with a service tier (any text) or, at the standard tier, without one. */
export const ledgerRow: fc.Arbitrary<LedgerRow> = fc.tuple(fields, optional).map(([r, serviceTier]): LedgerRow => (serviceTier === null ? r : { ...r, serviceTier }));
