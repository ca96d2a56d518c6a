/**
 * How long the gateway waits on Postgres (pool.ts applies them). Apart from pool.ts so that the
 * config can name the defaults without loading the pg client.
 */
export interface PostgresTimeouts {
  /** Opening a connection, and waiting for a free one when all are busy (pg's connectionTimeoutMillis). */
  connectTimeoutMs?: number;
  /** An answer to any query but a report's: key lookups, rules, budgets, audit, outcomes, ledger writes. */
  queryTimeoutMs?: number;
  /** An answer to one query of a report or export (an aggregate, a page of rows): longer, for large ledgers. */
  reportTimeoutMs?: number;
}

/** `storage.connect_timeout_ms`, `query_timeout_ms` and `report_timeout_ms` when the config leaves them out. */
export const POSTGRES_TIMEOUTS: Required<PostgresTimeouts> = { connectTimeoutMs: 10_000, queryTimeoutMs: 30_000, reportTimeoutMs: 300_000 };
