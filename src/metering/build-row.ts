import type { Api, Outcome } from '../core/api.js';
import type { LedgerRow } from '../core/ledger-row.js';
import type { Picos } from '../core/money.js';
import { type Usage, type UsageSource, zeroUsage } from '../core/usage.js';

export interface PriceRequest {
  provider: string;
  catalogProvider: string | undefined;
  model: string;
  usage: Usage;
  at: Date;
  serviceTier?: string;
}

export interface PriceResult {
  costPicos: Picos | null;
  unpriced: boolean;
}

export type PriceFn = (req: PriceRequest) => PriceResult;

/** Everything the gateway learned about one request, filled in as it goes. */
export interface RequestFacts {
  id: string;
  ts: number;
  api: Api;
  stream: boolean;
  provider: string;
  catalogProvider: string | undefined;
  modelRequested: string;
  servedModel: string | undefined;
  keyId: string | null;
  user: string | null;
  team: string | null;
  project: string | null;
  sessionId: string | null;
  client: string | null;
  tags: Record<string, string>;
  status: number;
  outcome: Outcome;
  errorType: string | null;
  usage: Usage;
  usageSource: UsageSource;
  latencyMs: number;
  ttftMs: number | null;
  serviceTier: string | undefined;
  upstreamRequestId: string | null;
  attempts: number;
  /** Set when a spend pool paid for the request. */
  pool: string | null;
  /** See LedgerRow.lastTurnHash. */
  lastTurnHash: string | null;
}

export function newFacts(id: string, ts: number, api: Api): RequestFacts {
  return {
    id,
    ts,
    api,
    stream: false,
    provider: '',
    catalogProvider: undefined,
    modelRequested: '',
    servedModel: undefined,
    keyId: null,
    user: null,
    team: null,
    project: null,
    sessionId: null,
    client: null,
    tags: {},
    status: 0,
    outcome: 'ok',
    errorType: null,
    usage: zeroUsage(),
    usageSource: 'none',
    latencyMs: 0,
    ttftMs: null,
    serviceTier: undefined,
    upstreamRequestId: null,
    attempts: 0,
    pool: null,
    lastTurnHash: null,
  };
}

/** Free endpoints: nothing is billed, whatever they report. */
const FREE_APIS: ReadonlySet<Api> = new Set(['anthropic.count_tokens', 'openai.models']);

/** Prices the facts and shapes them as a ledger row. */
export function buildRow(f: RequestFacts, price: PriceFn): LedgerRow {
  const model = f.servedModel || f.modelRequested;
  let costPicos: Picos | null = 0n;
  let unpriced = false;
  const billable = f.usage.inputTokens + f.usage.outputTokens > 0;
  if (!FREE_APIS.has(f.api) && billable) {
    const p = price({ provider: f.provider, catalogProvider: f.catalogProvider, model, usage: f.usage, at: new Date(f.ts), serviceTier: f.serviceTier });
    costPicos = p.costPicos;
    unpriced = p.unpriced;
  }
  return {
    id: f.id,
    ts: f.ts,
    api: f.api,
    provider: f.provider,
    model,
    modelRequested: f.modelRequested,
    keyId: f.keyId,
    user: f.user,
    team: f.team,
    project: f.project,
    sessionId: f.sessionId,
    client: f.client,
    tags: f.tags,
    stream: f.stream,
    status: f.status,
    outcome: f.outcome,
    errorType: f.errorType,
    ...f.usage,
    latencyMs: f.latencyMs,
    ttftMs: f.ttftMs,
    costPicos,
    usageSource: f.usageSource,
    unpriced,
    pool: f.pool,
    attempts: f.attempts,
    upstreamRequestId: f.upstreamRequestId,
    source: 'gateway',
    lastTurnHash: f.lastTurnHash,
  };
}
