import type { LedgerRow } from '../core/ledger-row.js';
import { type Usage, hasTokens } from '../core/usage.js';
import { type PriceFn, buildRow, newFacts } from '../metering/build-row.js';

/** One model call read from telemetry, before the sender's identity and the price are added. */
export type TelemetryCall = Pick<
  LedgerRow,
  'id' | 'ts' | 'api' | 'provider' | 'model' | 'modelRequested' | 'user' | 'team' | 'project' | 'sessionId' | 'client' | 'tags' | 'stream' | 'status' | 'outcome' | 'errorType' | 'latencyMs' | 'ttftMs' | 'upstreamRequestId' | 'attempts' | 'responseId'
> & {
  /** The pricing catalog's provider id, when the provider name is not already one. */
  catalogProvider: string | undefined;
  usage: Usage;
  /** The service tier the provider reported (OpenAI flex/priority are priced differently). */
  serviceTier?: string | undefined;
  source: 'claude-code-otel' | 'codex-otel' | 'otel-genai';
};

/**
 * The answer of a call an agent's own completion event reports (Claude Code's `api_request`, Codex's
 * `codex.sse_event` of `response.completed`): both agents stream, and both events are written only
 * for a call answered to its end.
 */
export const STREAMED_OK: Pick<TelemetryCall, 'stream' | 'status' | 'outcome' | 'errorType'> = { stream: true, status: 200, outcome: 'ok', errorType: null };

/** Who sent the telemetry: the virtual key's attribution, then `x-tollgate-*` headers. */
export type Sender = Pick<LedgerRow, 'keyId' | 'user' | 'team' | 'project' | 'tags'>;

/**
 * Prices a call with Tollgate's own pricer and shapes it as a ledger row. The sender's
 * attribution wins over what the telemetry says, as a virtual key's does over headers at
 * the gateway: an admin who gave a developer a key decides whom its spend belongs to.
 */
export function toLedgerRow(call: TelemetryCall, sender: Sender, price: PriceFn): LedgerRow {
  const f = newFacts(call.id, call.ts, call.api);
  f.provider = call.provider;
  f.catalogProvider = call.catalogProvider;
  f.modelRequested = call.modelRequested;
  f.servedModel = call.model;
  f.keyId = sender.keyId;
  f.user = sender.user ?? call.user;
  f.team = sender.team ?? call.team;
  f.project = sender.project ?? call.project;
  f.sessionId = call.sessionId;
  f.client = call.client;
  f.tags = { ...call.tags, ...sender.tags };
  f.stream = call.stream;
  f.status = call.status;
  f.outcome = call.outcome;
  f.errorType = call.errorType;
  f.usage = call.usage;
  f.usageSource = hasTokens(call.usage) ? 'final' : 'none';
  f.latencyMs = call.latencyMs;
  f.ttftMs = call.ttftMs;
  f.upstreamRequestId = call.upstreamRequestId;
  f.attempts = call.attempts;
  f.serviceTier = call.serviceTier;
  f.responseId = call.responseId ?? null;
  let row: LedgerRow;
  try {
    row = buildRow(f, price);
  } catch {
    // Pricing must never cost us the row: record it unpriced instead.
    row = buildRow(f, () => ({ costPicos: null, unpriced: true }));
  }
  row.source = call.source;
  return row;
}
