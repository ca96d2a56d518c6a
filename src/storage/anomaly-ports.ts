import type { LedgerRow } from '../core/ledger-row.js';
import type { Picos } from '../core/money.js';

// What the ledger's reads for the anomaly detectors return (LedgerStore in ports.ts).

/** What a spend spike or a cache-hit regression is about: a user, team, workflow (tag) or model. */
export interface ExampleSubject {
  kind: 'user' | 'team' | 'workflow' | 'model';
  value: string;
}

/** One caller's traffic over a window, as the retry-storm detector judges it. */
export interface CallerTotals {
  /** "key:…", else "user:…", else "client:…" ("client:unknown" without one). */
  caller: string;
  requests: number;
  /** Requests with an error outcome, a 429 or a 5xx. */
  failed: number;
  /** Upstream retries: attempts − 1 summed over the requests. */
  retries: number;
  /** What the failed requests cost. */
  failedCostPicos: Picos;
  /** The user of every failed request that names one, when they all name the same (a key's storm is then that user's); else absent. */
  user?: string;
}

/** One request as the anomaly detectors see it. */
export interface RequestPoint {
  id: string;
  ts: number;
  sessionId: string | null;
  keyId: string | null;
  user: string | null;
  client: string | null;
  model: string;
  status: number;
  outcome: LedgerRow['outcome'];
  attempts: number;
  inputTokens: number;
  outputTokens: number;
  toolCalls: number;
  costPicos: Picos;
  lastTurnHash: string | null;
}

/** Requests and their input and cache reads for one value of a tag ('' when absent), model and provider (LedgerStore.warmCacheUse). */
export interface TagCacheUse {
  tag: string;
  model: string;
  provider: string;
  requests: number;
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** The distinct sessions the requests came from. */
  sessions: number;
}

/** Requests, their tokens and cost for one client and client version ('' when absent) (LedgerStore.releaseCacheUse). */
export interface ReleaseCacheUse {
  client: string;
  version: string;
  requests: number;
  /** Requests that failed (not ok, not left by their client). */
  errors: number;
  inputTokens: number;
  cacheReadTokens: number;
  outputTokens: number;
  costPicos: Picos;
}

/** One session's requests in one clock hour, for one user and key (LedgerStore.sessionHours). */
export interface SessionHour {
  hour: number;
  sessionId: string;
  /** '' when none. */
  user: string;
  keyId: string;
  costPicos: Picos;
  inputTokens: number;
  outputTokens: number;
  /**
   * The first and last request start (`ts`) in the hour; undefined where the rollup does not
   * know them (rows older than schema version 26's backfill), taken then as the whole hour.
   */
  firstTs?: number;
  lastTs?: number;
}
