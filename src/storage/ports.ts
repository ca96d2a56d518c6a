import type { Dimension, LedgerRow } from '../core/ledger-row.js';
import type { Picos } from '../core/money.js';

/**
 * What the rest of Tollgate needs from storage. SQLite (the embedded default) and
 * Postgres (many replicas) implement it; the contract test suite runs against both.
 */
export interface Storage {
  readonly kind: 'sqlite' | 'postgres';
  readonly ledger: LedgerStore;
  readonly keys: KeyStore;
  close(): Promise<void>;
}

export interface LedgerStore {
  /**
   * Inserts rows and updates the rollups in one transaction. Idempotent on `id`:
   * a row already present is skipped and does not count twice. Returns how many were new.
   */
  insert(rows: readonly LedgerRow[]): Promise<number>;
  get(id: string): Promise<LedgerRow | undefined>;
  /** Streams raw rows in time order (for export). */
  scan(filter: TimeFilter): AsyncIterable<LedgerRow>;
  /** Totals grouped by dimensions, served from rollups (raw rows only for partial hours at the edges). */
  aggregate(query: AggregateQuery): Promise<AggregateRow[]>;
}

export interface TimeFilter {
  /** Inclusive, ms since epoch. */
  since?: number;
  /** Exclusive, ms since epoch. */
  until?: number;
}

export interface AggregateQuery extends TimeFilter {
  by: readonly Dimension[];
}

export interface Totals {
  requests: number;
  errors: number;
  unpricedRequests: number;
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  cacheWrite1hTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  toolCalls: number;
  costPicos: Picos;
}

export interface AggregateRow extends Totals {
  /** One value per requested dimension, in order ('' when the row had none). */
  keys: string[];
}

export interface KeyRecord {
  id: string;
  /** The first characters of the key, for people to recognise it (never enough to use it). */
  prefix: string;
  user: string | null;
  team: string | null;
  project: string | null;
  name: string | null;
  createdAt: number;
  revokedAt: number | null;
}

export interface NewKey {
  id: string;
  hash: string;
  prefix: string;
  user: string | null;
  team: string | null;
  project: string | null;
  name: string | null;
  createdAt: number;
}

export interface KeyStore {
  create(key: NewKey): Promise<KeyRecord>;
  list(opts?: { includeRevoked?: boolean }): Promise<KeyRecord[]>;
  /** Returns the revoked key, or undefined when no such key exists. */
  revoke(id: string, at: number): Promise<KeyRecord | undefined>;
  findByHash(hash: string): Promise<KeyRecord | undefined>;
}

export function emptyTotals(): Totals {
  return {
    requests: 0,
    errors: 0,
    unpricedRequests: 0,
    inputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    outputTokens: 0,
    reasoningTokens: 0,
    toolCalls: 0,
    costPicos: 0n,
  };
}

export function addTotals(into: Totals, t: Totals): void {
  into.requests += t.requests;
  into.errors += t.errors;
  into.unpricedRequests += t.unpricedRequests;
  into.inputTokens += t.inputTokens;
  into.cacheReadTokens += t.cacheReadTokens;
  into.cacheWriteTokens += t.cacheWriteTokens;
  into.cacheWrite1hTokens += t.cacheWrite1hTokens;
  into.outputTokens += t.outputTokens;
  into.reasoningTokens += t.reasoningTokens;
  into.toolCalls += t.toolCalls;
  into.costPicos += t.costPicos;
}
