import { type Api, FREE_APIS, type Outcome, UNPRICED_APIS } from '../core/api.js';
import type { AttemptRow, LedgerRow } from '../core/ledger-row.js';
import type { Picos } from '../core/money.js';
import { rowTier } from '../core/service-tier.js';
import { USAGE_KEYS, type Usage, type UsageSource, hasTokens, usageOf, zeroUsage } from '../core/usage.js';
import type { BatchResults, ResponseTap } from '../providers/types.js';

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
  /** The model has a price, but this usage costs more than one row can hold: the row is unpriced, an estimate counts it as beyond any limit. */
  tooLarge?: boolean;
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
  /** The model the body sent upstream names, once a routing rule, model policy or budget downgrade has replaced the client's. */
  sentModel: string | undefined;
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
  /** Upstream tries whose response did not reach the client (held back for a retry, or never came). */
  priorAttempts: AttemptFacts[];
  /** The try whose response the client is receiving; its status and usage are the request's own. */
  current: AttemptStart | undefined;
  /** The routing rule recorded for the request; its saving is priced once usage is known. */
  routeRule: string | null;
  routeMode: 'enforce' | 'shadow' | null;
  /** The first attempt made for the model the client asked for, once the enforced rule's target failed (saving.ts). */
  ruleFallbackAt: number | undefined;
  /** Computes the prompt prefix's hashes when the row is built (off the request's critical path). */
  prefix?: () => string | undefined;
  /** See LedgerRow.lastTurnHash. */
  lastTurnHash: string | null;
  /** See LedgerRow.responseId. */
  responseId: string | null;
  /** See Metered.pending. */
  pendingResponse: boolean;
  /** See Metered.background. */
  backgroundResponse: boolean;
  /** See Metered.billedWithoutUsage: a row without usage is then unpriced rather than free. */
  billedWithoutUsage: boolean;
  /** See Metered.batch: a Message Batch's results, each succeeded one billed on its own row (BatchResultRows). */
  batch?: BatchResults;
  /** See Metered.batchFiles. */
  batchFiles?: string[];
  /** See Metered.items. */
  items?: string[];
  /** See Metered.containers. */
  containers?: string[];
  /** See Metered.conversations. */
  conversations?: string[];
  /** The request's input tokens, estimated from its body, for a row recorded without usage (metering/open-requests.ts). */
  inputEstimate: (() => number | undefined) | undefined;
  /** Where metering/open-requests.ts keeps the request while it is open (-1: not there). */
  openSlot: number;
  /** The response's tap while its body is coming: usage read so far, for a row recorded before the end. */
  liveTap: Pick<ResponseTap, 'usageSoFar' | 'outputSoFar'> | undefined;
  /** Runs as the provider's answer starts to reach the client, the request's body sent and let go (gateway/body-room.ts). */
  answered?: () => void;
}

export interface AttemptStart {
  n: number;
  deployment: string;
  provider: string;
  catalogProvider: string | undefined;
  model: string;
  /** ms since the epoch. */
  startedAt: number;
  /** performance.now() at the start, for the latency. */
  startedPerf: number;
}

export interface AttemptFacts extends AttemptStart {
  status: number;
  outcome: string;
  errorType: string | null;
  usage: Usage;
  usageSource: UsageSource;
  latencyMs: number;
  /** Set when this answer was the one finally sent to the client (an error no other attempt could replace). */
  delivered?: boolean;
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
    sentModel: undefined,
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
    priorAttempts: [],
    current: undefined,
    routeRule: null,
    routeMode: null,
    ruleFallbackAt: undefined,
    lastTurnHash: null,
    responseId: null,
    pendingResponse: false,
    backgroundResponse: false,
    billedWithoutUsage: false,
    inputEstimate: undefined,
    openSlot: -1,
    liveTap: undefined,
  };
}

/** Prices the facts and shapes them as a ledger row. */
export function buildRow(f: RequestFacts, price: PriceFn): LedgerRow {
  // An answer that never named its model (a stream cut before its first event, an error) is the model it was asked for: a fallback's or a rule's, not the client's.
  const model = f.servedModel || f.current?.model || f.sentModel || f.modelRequested;
  let costPicos: Picos | null = 0n;
  let unpriced = false;
  const billable = hasTokens(f.usage);
  if (UNPRICED_APIS.has(f.api) && billable) {
    costPicos = null;
    unpriced = true;
  } else if (!FREE_APIS.has(f.api) && billable) {
    const p = price({ provider: f.provider, catalogProvider: f.catalogProvider, model, usage: f.usage, at: new Date(f.ts), serviceTier: f.serviceTier });
    costPicos = p.costPicos;
    unpriced = p.unpriced;
  } else if (f.billedWithoutUsage && !FREE_APIS.has(f.api)) {
    costPicos = null;
    unpriced = true;
  }
  const row: LedgerRow = {
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
    // Listed one by one: on Node 20 a spread into this many fields measured far slower per row.
    inputTokens: f.usage.inputTokens,
    cacheReadTokens: f.usage.cacheReadTokens,
    cacheWriteTokens: f.usage.cacheWriteTokens,
    cacheWrite1hTokens: f.usage.cacheWrite1hTokens,
    outputTokens: f.usage.outputTokens,
    reasoningTokens: f.usage.reasoningTokens,
    toolCalls: f.usage.toolCalls,
    latencyMs: f.latencyMs,
    ttftMs: f.ttftMs,
    costPicos,
    usageSource: f.usageSource,
    unpriced,
    pool: f.pool,
    attempts: f.attempts,
    upstreamRequestId: f.upstreamRequestId,
    source: 'gateway',
    routeRule: f.routeRule,
    routeMode: f.routeMode,
    routeSavingPicos: null,
    ...prefixOf(f),
    lastTurnHash: f.lastTurnHash,
  };
  if (f.responseId !== null) row.responseId = f.responseId;
  const tier = rowTier(f.serviceTier, f.usage.speed, f.usage.inferenceGeo);
  if (tier !== null) row.serviceTier = tier;
  if (f.priorAttempts.length > 0 || f.current !== undefined) addAttempts(row, f, price);
  return row;
}

/**
 * Lists the request's attempts and makes the row their total: each earlier attempt is
 * priced on its own deployment and model, and its usage and cost are added to the row's.
 */
function addAttempts(row: LedgerRow, f: RequestFacts, price: PriceFn): void {
  const log: AttemptRow[] = [];
  const ownCost = row.costPicos;
  for (const a of f.priorAttempts) {
    const cost = attemptCost(f, a.provider, a.catalogProvider, a.model, a.usage, price);
    log.push(attemptRow(f.id, a, a.status, a.outcome, a.errorType, a.usage, a.usageSource, cost.costPicos, a.latencyMs, a.delivered === true));
    for (const k of USAGE_KEYS) row[k] += a.usage[k];
    if (cost.unpriced) row.unpriced = true;
    if (row.costPicos !== null) row.costPicos = cost.costPicos === null ? (cost.unpriced ? null : row.costPicos) : row.costPicos + cost.costPicos;
  }
  const c = f.current;
  if (c !== undefined) {
    const outcome = f.outcome === 'gateway_error' || f.outcome === 'rejected' ? 'upstream_error' : f.outcome;
    log.push(attemptRow(f.id, c, f.status, outcome, f.errorType, f.usage, f.usageSource, ownCost, Math.round(performance.now() - c.startedPerf), true));
  }
  log.sort((a, b) => a.n - b.n);
  row.attemptLog = log;
}


function attemptCost(f: RequestFacts, provider: string, catalogProvider: string | undefined, model: string, usage: Usage, price: PriceFn): PriceResult {
  if (FREE_APIS.has(f.api) || !hasTokens(usage)) return { costPicos: 0n, unpriced: false };
  try {
    return price({ provider, catalogProvider, model, usage, at: new Date(f.ts), serviceTier: f.serviceTier });
  } catch {
    return { costPicos: null, unpriced: true };
  }
}

function attemptRow(requestId: string, a: AttemptStart, status: number, outcome: string, errorType: string | null, usage: Usage, usageSource: UsageSource, costPicos: Picos | null, latencyMs: number, delivered: boolean): AttemptRow {
  return { requestId, n: a.n, deployment: a.deployment, provider: a.provider, model: a.model, status, outcome, errorType, delivered, ...usageOf(usage), usageSource, costPicos, startedAt: a.startedAt, latencyMs: Math.max(0, latencyMs) };
}

function prefixOf(f: RequestFacts): { prefix?: string } {
  const prefix = f.prefix?.();
  return prefix === undefined ? {} : { prefix };
}
