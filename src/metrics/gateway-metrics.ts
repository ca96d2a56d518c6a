import { Registry, collectDefaultMetrics } from 'prom-client';
import type { LedgerRow } from '../core/ledger-row.js';
import { Buckets, type Labels, header, labelText } from './exposition.js';
import { LabelCap } from './label-cap.js';

/** What the gauges read at scrape time. */
export interface GatewayGauges {
  /** Rows recorded and not yet in storage (queued, or waiting in the spool's file). */
  ledgerPending: () => number;
  /** Requests being handled right now. */
  inFlight: () => number;
  /** Rows still waiting for usage learned later (background responses, batches), by API, as the sweeps last saw them. */
  deferredWaiting?: () => Readonly<Record<string, number>>;
  /** Client connections open now (HTTP and WebSocket, idle keep-alive ones included). */
  openConnections?: () => Promise<number | undefined>;
}

const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const TOKEN_CLASSES = ['input', 'cache_read', 'cache_write', 'output', 'reasoning'] as const;
const PICOS_PER_USD = 1_000_000_000_000n;

/** One label set of requests (api, provider, model, outcome) and what they used; tokens in TOKEN_CLASSES order. */
interface Requests {
  api: string;
  provider: string;
  model: string;
  outcome: string;
  requests: number;
  unpriced: number;
  tokens: [number, number, number, number, number];
}

/**
 * The gateway's Prometheus metrics (`GET /metrics`), counted from its ledger rows as they
 * are recorded: a map lookup and a few additions a request. Models and teams are label
 * values a client can choose, so each is capped (beyond the cap, `other`).
 */
export class GatewayMetrics {
  private readonly models = new LabelCap(200);
  private readonly teams = new LabelCap(200);
  private readonly requests = new Map<string, Requests>();
  /** Exact spend per provider, model and team, in picodollars; shown in dollars. */
  private readonly spend = new Map<string, { labels: Labels; picos: bigint }>();
  private readonly duration = new Map<string, { labels: Labels; buckets: Buckets }>();
  private readonly ttft = new Map<string, { labels: Labels; buckets: Buckets }>();
  private readonly gauges: GatewayGauges;
  private refusedConnections = 0;

  constructor(gauges: GatewayGauges) {
    this.gauges = gauges;
  }

  observe(r: LedgerRow): void {
    const g = this.usage(r);
    g.requests++;
    if (r.unpriced) g.unpriced++;
    const stream = r.stream ? 'true' : 'false';
    histogram(this.duration, `${r.api}\u0000${r.provider}\u0000${stream}`, () => ({ api: r.api, provider: r.provider, stream })).observe(r.latencyMs / 1000);
    if (r.stream && r.ttftMs !== null) histogram(this.ttft, `${r.api}\u0000${r.provider}`, () => ({ api: r.api, provider: r.provider })).observe(r.ttftMs / 1000);
  }

  /**
   * Usage and spend learned after a request's row was recorded (a background response's, when it
   * is looked up finished), as a row of that usage: its tokens and cost count, not a request more.
   */
  observeSettled(r: LedgerRow): void {
    this.usage(r);
  }

  /** A connection closed as it came, `server.max_connections` being open already. */
  connectionRefused(): void {
    this.refusedConnections++;
  }

  /** Adds a row's tokens and spend; returns its request group. */
  private usage(r: LedgerRow) {
    const model = this.models.value(r.model || r.modelRequested);
    const key = `${r.api}\u0000${r.provider}\u0000${model}\u0000${r.outcome}`;
    let g = this.requests.get(key);
    if (!g) this.requests.set(key, (g = { api: r.api, provider: r.provider, model, outcome: r.outcome, requests: 0, unpriced: 0, tokens: [0, 0, 0, 0, 0] }));
    g.tokens[0] += r.inputTokens;
    g.tokens[1] += r.cacheReadTokens;
    g.tokens[2] += r.cacheWriteTokens;
    g.tokens[3] += r.outputTokens;
    g.tokens[4] += r.reasoningTokens;
    if (r.costPicos !== null && r.costPicos !== 0n) {
      const team = this.teams.value(r.team ?? '');
      const k = `${r.provider}\u0000${model}\u0000${team}`;
      const s = this.spend.get(k);
      if (s) s.picos += r.costPicos;
      else this.spend.set(k, { labels: { provider: r.provider, model, team }, picos: r.costPicos });
    }
    return g;
  }

  /** The exposition format's content type, as prom-client writes it. */
  get contentType(): string {
    return processRegistry().contentType;
  }

  /** The exposition text: Node's process metrics, then the gateway's. */
  async render(): Promise<string> {
    const open = await this.gauges.openConnections?.();
    return `${await processRegistry().metrics()}\n${this.gatewayText()}${this.connectionText(open)}`;
  }

  private connectionText(open: number | undefined): string {
    let out = header('tollgate_connections_refused_total', 'counter', 'Connections closed as they came, server.max_connections being open already');
    out += `tollgate_connections_refused_total ${this.refusedConnections}\n`;
    if (open === undefined) return out;
    return `${out}${header('tollgate_open_connections', 'gauge', 'Client connections open (HTTP and WebSocket, idle keep-alive ones included)')}tollgate_open_connections ${open}\n`;
  }

  private gatewayText(): string {
    let out = header('tollgate_requests_total', 'counter', 'API requests, each with its ledger row');
    const tokens = new Map<string, { labels: Labels; n: number[] }>();
    let unpriced = '';
    for (const g of this.requests.values()) {
      out += `tollgate_requests_total${labelText({ api: g.api, provider: g.provider, model: g.model, outcome: g.outcome })} ${g.requests}\n`;
      const labels = { provider: g.provider, model: g.model };
      const k = `${g.provider}\u0000${g.model}`;
      const t = tokens.get(k) ?? { labels, n: [0, 0, 0, 0, 0] };
      tokens.set(k, t);
      g.tokens.forEach((n, i) => (t.n[i]! += n));
      if (g.unpriced > 0) unpriced += `tollgate_unpriced_requests_total${labelText(labels)} ${g.unpriced}\n`;
    }
    out += header('tollgate_tokens_total', 'counter', 'Tokens by class (input counts cache reads and writes; output counts reasoning)');
    for (const { labels, n } of tokens.values()) TOKEN_CLASSES.forEach((c, i) => (out += n[i]! > 0 ? `tollgate_tokens_total${labelText({ ...labels, class: c })} ${n[i]}\n` : ''));
    out += header('tollgate_unpriced_requests_total', 'counter', 'Requests recorded without a cost: the model has no price') + unpriced;
    out += header('tollgate_cost_usd_total', 'counter', 'Spend in US dollars, summed exactly in picodollars');
    for (const { labels, picos } of this.spend.values()) out += `tollgate_cost_usd_total${labelText(labels)} ${dollars(picos)}\n`;
    out += header('tollgate_request_duration_seconds', 'histogram', 'From the request to the end of the response');
    for (const { labels, buckets } of this.duration.values()) out += buckets.lines('tollgate_request_duration_seconds', labels);
    out += header('tollgate_time_to_first_token_seconds', 'histogram', 'Streams: from the request to the first body byte');
    for (const { labels, buckets } of this.ttft.values()) out += buckets.lines('tollgate_time_to_first_token_seconds', labels);
    out += header('tollgate_ledger_pending_rows', 'gauge', 'Rows recorded and not yet committed to storage (they are safe in the spool)');
    out += `tollgate_ledger_pending_rows ${this.gauges.ledgerPending()}\n`;
    const deferred = this.gauges.deferredWaiting?.();
    if (deferred !== undefined) {
      out += header('tollgate_deferred_usage_waiting', 'gauge', 'Background responses and batches still waiting for their usage, as the sweep last listed them');
      for (const [api, n] of Object.entries(deferred)) out += `tollgate_deferred_usage_waiting${labelText({ api })} ${n}\n`;
    }
    out += header('tollgate_in_flight_requests', 'gauge', 'Requests being handled');
    return `${out}tollgate_in_flight_requests ${this.gauges.inFlight()}\n`;
  }
}

/** The buckets of one label set; `labels` makes its labels the first time only. */
function histogram(map: Map<string, { labels: Labels; buckets: Buckets }>, key: string, labels: () => Labels): Buckets {
  let h = map.get(key);
  if (!h) map.set(key, (h = { labels: labels(), buckets: new Buckets(LATENCY_BUCKETS) }));
  return h.buckets;
}

let processMetrics: Registry | undefined;

/**
 * Node's own metrics (CPU, memory, heap, event-loop delay, GC), once per process: each
 * collection registers observers that are never removed, and a process may run several gateways (tests do).
 */
function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics, prefix: 'tollgate_' });
  }
  return processMetrics;
}

/** Picodollars as dollars, for display: whole dollars exactly, the fraction to 1e-12. */
function dollars(picos: bigint): number {
  return Number(picos / PICOS_PER_USD) + Number(picos % PICOS_PER_USD) / 1e12;
}
