import type { Api, Outcome } from '../core/api.js';
import type { LedgerRow } from '../core/ledger-row.js';
import type { Usage } from '../core/usage.js';
import { type PriceFn, buildRow, newFacts } from '../metering/build-row.js';

/** One model call read from telemetry, before the sender's identity and the price are added. */
export interface TelemetryCall {
  id: string;
  ts: number;
  api: Api;
  provider: string;
  /** The pricing catalog's provider id, when the provider name is not already one. */
  catalogProvider: string | undefined;
  model: string;
  modelRequested: string;
  usage: Usage;
  user: string | null;
  team: string | null;
  project: string | null;
  sessionId: string | null;
  client: string | null;
  tags: Record<string, string>;
  stream: boolean;
  status: number;
  outcome: Outcome;
  errorType: string | null;
  latencyMs: number;
  ttftMs: number | null;
  upstreamRequestId: string | null;
  attempts: number;
  /** The service tier the provider reported (OpenAI flex/priority are priced differently). */
  serviceTier?: string | undefined;
  source: 'claude-code-otel' | 'otel-genai';
}

/** Who sent the telemetry: the virtual key's attribution, then `x-tollgate-*` headers. */
export interface Sender {
  keyId: string | null;
  user: string | null;
  team: string | null;
  project: string | null;
  tags: Record<string, string>;
}

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
  f.usageSource = call.usage.inputTokens + call.usage.outputTokens > 0 ? 'final' : 'none';
  f.latencyMs = call.latencyMs;
  f.ttftMs = call.ttftMs;
  f.upstreamRequestId = call.upstreamRequestId;
  f.attempts = call.attempts;
  f.serviceTier = call.serviceTier;
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
