import pg from 'pg';
import { migrations } from '../migrations.js';
import { checkSchemaVersion } from '../schema-version.js';
import { POSTGRES_TIMEOUTS, type PostgresTimeouts } from './timeouts.js';

/** Node's longest timer: a migration (an index built over a large ledger) runs as long as it takes. */
const UNBOUNDED_MS = 2_147_483_647;

/**
 * How long the gateway waits on Postgres (`storage.connect_timeout_ms`, `query_timeout_ms`,
 * `report_timeout_ms`; defaults in timeouts.ts). A server that does not answer (hung, or a network
 * that drops packets without closing the connection: TCP keepalive is answered meanwhile, or
 * takes minutes to notice) fails the query with one of pg's code-less errors that
 * isStorageTrouble (../storage-trouble.ts) reads as storage trouble: the gateway then serves from
 * its key cache and spool, and the admin API answers 503 `storage_unavailable`
 * (docs/ledger.md, durability; docs/admin-api.md). The bounds are the client's (pg's
 * `query_timeout`): a server-side `statement_timeout` would need a startup parameter that
 * PgBouncer refuses. A query given up on runs on in Postgres until it ends, its connection closed.
 */
export function createPool(o: { url: string; schema?: string; maxConnections?: number } & PostgresTimeouts): pg.Pool {
  const t = { ...POSTGRES_TIMEOUTS, ...definedOnly(o) };
  const pool = new pg.Pool({
    connectionString: o.url,
    max: o.maxConnections ?? 10,
    connectionTimeoutMillis: t.connectTimeoutMs,
    query_timeout: t.queryTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(o.schema ? { options: `-c search_path=${o.schema}` } : {}),
  });
  pool.on('error', () => undefined); // An idle client's error surfaces on its next query instead.
  return pool;
}

function definedOnly(o: PostgresTimeouts): PostgresTimeouts {
  const out: PostgresTimeouts = {};
  for (const k of ['connectTimeoutMs', 'queryTimeoutMs', 'reportTimeoutMs'] as const) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** A query with its own bound instead of the pool's (pg reads `query_timeout` from the query's config). */
export function boundQuery(text: string, values: unknown[] | undefined, timeoutMs: number): pg.QueryConfig & { query_timeout: number } {
  return { text, values, query_timeout: timeoutMs };
}

/**
 * Checks out a client for `fn`. A checked-out client has no error listener of the pool's, and pg
 * emits 'error' on it when its connection is lost, besides failing the query in flight: without a
 * listener that was an uncaught exception (a stack trace in the gateway's log at every outage, a
 * dead writer thread, a crashed CLI command). The failed query already reports the error.
 * A client whose work failed is closed rather than pooled again, as pool.query does: after a
 * query timeout its connection still waits for that query's answer, and every query the next
 * user sent on it would wait behind it.
 */
export async function withClient<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  const ignore = (): void => undefined;
  c.on('error', ignore);
  let failed: Error | undefined;
  try {
    return await fn(c);
  } catch (err) {
    failed = err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    c.off('error', ignore);
    c.release(failed);
  }
}

export async function migrate(pool: pg.Pool, types: Parameters<typeof migrations>[0]): Promise<void> {
  const q = (c: pg.PoolClient, text: string, values?: unknown[]) => c.query<Record<string, unknown>>(boundQuery(text, values, UNBOUNDED_MS));
  await withClient(pool, async (c) => {
    try {
      // Replicas starting together must not race through the same migration.
      await q(c, `SELECT pg_advisory_lock(hashtext('tollgate.migrate'))`);
      await q(c, 'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
      const { rows } = await q(c, 'SELECT MAX(version) AS v FROM schema_migrations');
      const current = Number(rows[0]?.v ?? 0);
      checkSchemaVersion(current, types);
      for (const m of migrations(types)) {
        if (m.version <= current) continue;
        await q(c, 'BEGIN');
        try {
          for (const s of m.statements) await q(c, s);
          await q(c, 'INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [m.version, Date.now()]);
          await q(c, 'COMMIT');
        } catch (err) {
          await q(c, 'ROLLBACK').catch(() => undefined);
          throw err;
        }
      }
    } finally {
      await q(c, `SELECT pg_advisory_unlock(hashtext('tollgate.migrate'))`).catch(() => undefined);
    }
  });
}
