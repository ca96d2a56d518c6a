import pg from 'pg';
import { PostgresOpenError } from './open-error.js';
import type { CacheRow, LedgerRow } from '../../core/ledger-row.js';
import type { SqlDialect } from '../aggregate.js';
import { sqlReads } from '../sql-reads.js';
import { rollupUpsertSql } from '../rollup-sql.js';
import { pendingResponseSql, pendingResponsesSql } from '../pending-sql.js';
import { type PolicySql, sqlPolicyStore } from '../policy-store.js';
import { sqlTelemetryStore } from '../telemetry-store.js';
import { sqlOutcomeStore } from '../outcome-store.js';
import { sqlAlertOutbox } from '../alert-outbox.js';
import { sqlObjectOwners } from '../object-owners.js';
import type { LedgerStore, Storage, TimeFilter } from '../ports.js';
import { pgKeys } from './keys.js';
import { boundQuery, createPool, migrate, withClient } from './pool.js';
import { POSTGRES_TIMEOUTS, type PostgresTimeouts } from './timeouts.js';
import { GATEWAY_SOURCE, OTHERS_STORED_SQL, SESSION_WINDOW_MS, agentProbes, agentRanges, agentRowsParams, agentRowsSql, crossSourceCheck, matchedByAgent, matchedByUsage, probesOf, probesToRun, repeatedInRange, responseLookups, sessionlessRanges, sourcesById, type UsageProbe, usageProbesOf, usageRanges, usageRowsParams, usageRowsSql } from '../cross-source.js';
import { chargeQueue, writeCharges } from './charges.js';
import { IDLESS_OTHERS_STORED, REPLACEABLE_ROWS_ALL_SQL, addsIdlessOther, afterReplacing, replaceProbesOf, replaceRanges, replaceableRowsAllParams, replacedRows } from '../cross-source-replace.js';
import { type RollupDelta, rollupDeltas, rollupValues, sameRow } from '../rollup.js';
import { ATTEMPT_COLUMNS, REQUEST_COLUMNS, ROLLUP_TABLES, type RollupTable, attemptFromRecord, attemptValues, cacheRowFromValues, cacheRowSelect, ROLLUP_MEASURES, ROLLUP_SPAN, hasSpan, rollupKeys, rowFromRecord, rowValues } from '../schema.js';
import { timeTerms } from '../time-window.js';
import { firstOfEachId, storableParam, storableRows } from '../storable.js';

type Row = Record<string, unknown>;

export const POSTGRES_TYPES = { text: 'TEXT', int: 'INTEGER', bigint: 'BIGINT', bool: 'BOOLEAN', json: 'JSONB', serial: 'BIGSERIAL', keyedTableSuffix: '', arrival: 'XID8', arrivalDefault: 'pg_current_xact_id()' };

const DIALECT: SqlDialect = {
  param: (i) => `$${i}`,
  tagExpr: (key) => `COALESCE(tags ->> '${key}', '')`,
  isTrue: (c) => c,
};

// Postgres caps a statement at 65,535 parameters.
const MAX_ROWS_PER_INSERT = Math.floor(60_000 / REQUEST_COLUMNS.length);
const MAX_ATTEMPTS_PER_INSERT = Math.floor(60_000 / ATTEMPT_COLUMNS.length);

export interface PostgresOptions extends PostgresTimeouts {
  url: string;
  /** A schema to use instead of `public` (created if missing); tests use one each. */
  schema?: string;
  maxConnections?: number;
}

/**
 * Postgres for many replicas: every `tollgate serve` writes the same ledger. Batches
 * insert with ON CONFLICT DO NOTHING and only the rows actually inserted update the
 * rollups, in the same transaction, so a replayed spool never counts twice.
 */
export async function openPostgres(o: PostgresOptions): Promise<Storage> {
  if (o.schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(o.schema)) throw new RangeError(`invalid schema name ${o.schema}`);
  // Bounded waits: an unreachable or hung server fails a query instead of leaving it pending (see pool.ts).
  const pool = createPool(o);
  const reportMs = o.reportTimeoutMs ?? POSTGRES_TIMEOUTS.reportTimeoutMs;
  try {
    if (o.schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${o.schema}`);
    await migrate(pool, POSTGRES_TYPES);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new PostgresOpenError(o.url, err);
  }
  return {
    kind: 'postgres',
    ledger: pgLedger(pool, reportMs),
    keys: pgKeys(pool),
    policy: sqlPolicyStore(pgSql(pool)),
    telemetry: sqlTelemetryStore(pgSql(pool, reportMs)),
    outcomes: sqlOutcomeStore(pgSql(pool)),
    alertOutbox: sqlAlertOutbox(pgSql(pool)),
    objects: sqlObjectOwners(pgSql(pool)),
    close: () => pool.end(),
  };
}

function pgLedger(pool: pg.Pool, reportMs: number): LedgerStore {
  const run = async (sql: string, params: unknown[]) => (await pool.query<Row>(sql, params)).rows;
  // A report's queries (and an export's pages) get the longer bound.
  const read = async (sql: string, params: unknown[]) => (await pool.query<Row>(boundQuery(sql, params, reportMs))).rows;
  const toParam = (v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

  /**
   * Runs `fn` in a transaction on one client. A failure closes the client (withClient), which
   * ends the transaction: no ROLLBACK is sent, which on a hung connection would wait behind the
   * query that timed out for another query timeout (a report's flush waited 69 s for its 503).
   */
  const inTransaction = async <T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> =>
    withClient(pool, async (c) => {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    });

  /**
   * Drops the rows that repeat a request another source already recorded (see cross-source.ts). With
   * them, `idless`: whether the ledger held a row another source recorded without an id, asked in the
   * same query (cross-source-replace.ts), or undefined when the batch has no gateway row.
   */
  const withoutCrossSourceRepeats = async (c: pg.PoolClient, rows: readonly LedgerRow[]) => {
    const all = probesOf(rows);
    const flags = rows.some((r) => r.source === GATEWAY_SOURCE) ? (await c.query<{ e: boolean; n: boolean }>(`${OTHERS_STORED_SQL}, ${IDLESS_OTHERS_STORED} AS n`)).rows[0]! : undefined;
    const others = flags?.e ?? true;
    const probes = probesToRun(all, () => others);
    const repeated = new Set<number>();
    if (probes.length > 0) {
      // Other sources' rows by id (`source <> s` as two ranges, each a seek in requests_upstream_other);
      // gateway rows, for another source's row with a session, in that session around its time.
      const res = await c.query<{ i: number }>(
        'SELECT x.i FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::bigint[]) AS x(i, u, s, q, t) ' +
          `WHERE EXISTS (SELECT 1 FROM requests r WHERE r.upstream_request_id = x.u AND r.source <> '${GATEWAY_SOURCE}' AND r.source < x.s) ` +
          `OR EXISTS (SELECT 1 FROM requests r WHERE r.upstream_request_id = x.u AND r.source <> '${GATEWAY_SOURCE}' AND r.source > x.s) ` +
          `OR (x.s <> '${GATEWAY_SOURCE}' AND x.q IS NOT NULL AND EXISTS (SELECT 1 FROM requests r WHERE r.session_id = x.q ` +
          `AND r.ts BETWEEN x.t - ${SESSION_WINDOW_MS} AND x.t + ${SESSION_WINDOW_MS} AND r.upstream_request_id = x.u AND r.source = '${GATEWAY_SOURCE}'))`,
        [probes.map((p) => p.i), probes.map((p) => p.upstreamId), probes.map((p) => p.source), probes.map((p) => p.sessionId), probes.map((p) => p.ts)],
      );
      for (const r of res.rows) repeated.add(r.i);
      for (const range of sessionlessRanges(probes)) {
        const found = await c.query<{ u: string; ts: string }>(
          `SELECT upstream_request_id AS u, ts FROM requests WHERE session_id IS NULL AND ts BETWEEN $1 AND $2 AND source = '${GATEWAY_SOURCE}' AND upstream_request_id = ANY($3::text[])`,
          [range.from, range.to, range.items.map((p) => p.upstreamId)],
        );
        for (const p of repeatedInRange(range, found.rows.map((f) => ({ u: f.u, ts: Number(f.ts) })))) repeated.add(p.i);
      }
    }
    type Found = { ts: string; input: string; cached: string; output: string; reasoning: string; source: string };
    const usageFound = (r: Found) => ({ ts: Number(r.ts), input: Number(r.input), cached: Number(r.cached), output: Number(r.output), reasoning: Number(r.reasoning), source: r.source });
    const left: UsageProbe[] = [];
    for (const range of usageRanges(usageProbesOf(rows))) {
      const matched = matchedByUsage(range, (await c.query<Found>(usageRowsSql((n) => `$${n}`), usageRowsParams(range))).rows.map(usageFound));
      for (const p of matched) repeated.add(p.i);
      left.push(...agentProbes(range, matched));
    }
    // A sub-agent's gateway rows, under its parent's session, by the thread in their agent_id tag (cross-source.ts).
    for (const a of agentRanges(left)) {
      const sql = agentRowsSql((n) => `$${n}`, (key) => `tags ->> '${key}'`, (n, type) => `= ANY($${n}::${type}[])`);
      const res = await c.query<Found & { agent: string }>(sql, agentRowsParams(a));
      for (const p of matchedByAgent(a, res.rows.map((r) => ({ ...usageFound(r), agent: r.agent })))) repeated.add(p.i);
    }
    const found: { id: string; source: string }[] = [];
    for (const l of responseLookups(rows)) {
      // Through requests_ts: the rows of the window, their response ids compared (see cross-source.ts).
      const res = await c.query<{ id: string; source: string }>('SELECT response_id AS id, source FROM requests WHERE ts BETWEEN $1 AND $2 AND response_id = ANY($3::text[])', [l.from, l.to, l.items.map((r) => r.responseId)]);
      found.push(...res.rows);
    }
    const seen = crossSourceCheck(rows, repeated, sourcesById(found));
    return { kept: rows.filter((r) => !seen(r)), idless: flags?.n };
  };

  /** Takes out the rows of other sources that gateway rows just written repeat (cross-source-replace.ts). */
  const replaceRepeated = async (c: pg.PoolClient, written: readonly LedgerRow[], idlessBefore: boolean | undefined) => {
    const probes = replaceProbesOf(written);
    if (probes.length === 0 || !(idlessBefore === true || addsIdlessOther(written))) return afterReplacing(written, []);
    const found = (await c.query<Row>(REPLACEABLE_ROWS_ALL_SQL, replaceableRowsAllParams(replaceRanges(probes)))).rows.map(rowFromRecord);
    const matched = replacedRows(probes, found);
    if (matched.length === 0) return afterReplacing(written, []);
    // Only what this transaction deleted: a row another writer took out meanwhile is not taken back twice.
    const ids = matched.map((r) => r.id).sort();
    const res = await c.query<{ id: string }>('DELETE FROM requests WHERE id = ANY($1::text[]) RETURNING id', [ids]);
    await c.query('DELETE FROM attempts WHERE request_id = ANY($1::text[])', [ids]);
    const deleted = new Set(res.rows.map((r) => r.id));
    return afterReplacing(written, matched.filter((r) => deleted.has(r.id)));
  };

  const insertRows = async (c: pg.PoolClient, given: readonly LedgerRow[]) => {
    const fresh = new Set<string>();
    // Two rows of one id in a batch (copies of an event) were both taken as inserted, and rolled up twice.
    const rows = firstOfEachId(given);
    // In id order: two writers inserting the same rows then take their locks in the same order,
    // and wait for each other rather than deadlock (one of them aborted, its batch retried).
    const ordered = [...rows].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    for (let i = 0; i < ordered.length; i += MAX_ROWS_PER_INSERT) {
      const chunk = ordered.slice(i, i + MAX_ROWS_PER_INSERT);
      const params = chunk.flatMap((r) => rowValues(r, (b) => b).map(toParam));
      const n = REQUEST_COLUMNS.length;
      const tuples = chunk.map((_, j) => `(${REQUEST_COLUMNS.map((__, k) => `$${j * n + k + 1}`).join(', ')})`);
      const res = await c.query<{ id: string }>(`INSERT INTO requests (${REQUEST_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT (id) DO NOTHING RETURNING id`, params);
      for (const r of res.rows) fresh.add(r.id);
    }
    return rows.filter((r) => fresh.has(r.id));
  };

  const insertAttempts = async (c: pg.PoolClient, rows: readonly LedgerRow[]) => {
    const attempts = rows.flatMap((r) => r.attemptLog ?? []);
    const n = ATTEMPT_COLUMNS.length;
    for (let i = 0; i < attempts.length; i += MAX_ATTEMPTS_PER_INSERT) {
      const chunk = attempts.slice(i, i + MAX_ATTEMPTS_PER_INSERT);
      const tuples = chunk.map((_, j) => `(${ATTEMPT_COLUMNS.map((__, k) => `$${j * n + k + 1}`).join(', ')})`);
      await c.query(`INSERT INTO attempts (${ATTEMPT_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT DO NOTHING`, chunk.flatMap((a) => attemptValues(a, (b) => b).map(toParam)));
    }
  };

  const writeRollups = async (c: pg.PoolClient, added: readonly LedgerRow[], removed: readonly LedgerRow[] = []) => {
    const deltas = rollupDeltas(added, removed);
    for (const table of ROLLUP_TABLES) {
      await upsertRollups(c, table, deltas.filter((d) => d.table === table), toParam);
    }
  };

  /** Inserts, ON CONFLICT (id) DO NOTHING RETURNING id: the rows this transaction inserted. */
  const insertFresh = (rows: readonly LedgerRow[], charge = false) =>
    inTransaction(async (c) => {
      const checked = await withoutCrossSourceRepeats(c, rows);
      const fresh = await insertRows(c, checked.kept);
      await insertAttempts(c, fresh);
      const { kept, removed } = await replaceRepeated(c, fresh, checked.idless);
      await writeRollups(c, kept, removed);
      // A removed row's spend was queued as a charge when it was written: it is taken back whoever writes.
      if (charge || removed.length > 0) await writeCharges(c, charge ? kept : [], removed);
      return kept;
    });

  return {
    async insert(given) {
      return given.length === 0 ? 0 : (await insertFresh(storableRows(given))).length;
    },
    async insertCharged(given) {
      return given.length === 0 ? 0 : (await insertFresh(storableRows(given), true)).length;
    },
    async insertNew(given) {
      return given.length === 0 ? [] : (await insertFresh(storableRows(given))).map((r) => r.id);
    },
    async upsert(given, remove = [], o = {}) {
      if (given.length + remove.length === 0) return 0;
      const rows = storableRows(given);
      return inTransaction(async (c) => {
        const { kept, idless } = await withoutCrossSourceRepeats(c, rows);
        const ids = [...new Set([...remove, ...kept.map((r) => r.id)])];
        const stored = new Map<string, LedgerRow>();
        for (let i = 0; i < ids.length; i += 10_000) {
          const res = await c.query<Row>('SELECT * FROM requests WHERE id = ANY($1::text[]) FOR UPDATE', [ids.slice(i, i + 10_000)]);
          for (const rec of res.rows) stored.set(String(rec.id), rowFromRecord(rec));
        }
        // A row replaced by a concurrent upsert is not read (FOR UPDATE skips the deleted version), nor written here.
        const replaceable = (o.replaceIf ? kept.filter((r) => stored.has(r.id) && o.replaceIf!(stored.get(r.id)!)) : kept).filter((r) => !(o.keep && stored.has(r.id) && o.keep(stored.get(r.id)!, r)));
        const changed = replaceable.filter((r) => !(stored.has(r.id) && sameRow(stored.get(r.id)!, r)));
        const gone = [...new Set([...remove, ...changed.map((r) => r.id)])].filter((id) => stored.has(id));
        for (let i = 0; i < gone.length; i += 10_000) await c.query('DELETE FROM requests WHERE id = ANY($1::text[])', [gone.slice(i, i + 10_000)]);
        const added = await insertRows(c, changed);
        const logged = added.filter((r) => r.attemptLog);
        if (logged.length > 0) await c.query('DELETE FROM attempts WHERE request_id = ANY($1::text[])', [logged.map((r) => r.id)]);
        await insertAttempts(c, logged);
        const after = await replaceRepeated(c, added, idless);
        const removed = [...gone.map((id) => stored.get(id)!), ...after.removed];
        await writeRollups(c, after.kept, removed);
        if (o.charge) await writeCharges(c, after.kept, removed);
        else if (after.removed.length > 0) await writeCharges(c, [], after.removed);
        return after.kept.length;
      });
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    async get(id) {
      const r = await run('SELECT * FROM requests WHERE id = $1', [id]);
      return r[0] ? rowFromRecord(r[0]) : undefined;
    },
    async pendingResponse(responseId, api = 'openai.responses') {
      const r = await run(pendingResponseSql(api, '$1'), [responseId]);
      return r[0] ? rowFromRecord(r[0]) : undefined;
    },
    async pendingResponses(q) {
      return (await run(pendingResponsesSql(q.api, (i) => `$${i}`), [q.from, q.to, q.after?.ts ?? -1, q.after?.id ?? '', q.limit])).map(rowFromRecord);
    },
    async attempts(id) {
      return (await run('SELECT * FROM attempts WHERE request_id = $1 ORDER BY n', [id])).map(attemptFromRecord);
    },
    async firstTs() {
      const t = (await run('SELECT MIN(ts) AS t FROM requests', []))[0]?.t;
      return t === null || t === undefined ? undefined : Number(t);
    },
    scan: (filter) => scanRows(pool, filter, reportMs),
    cacheRows: (filter) => cacheRows(pool, filter, reportMs),
    ...sqlReads(read, DIALECT),
    arrivalCursor: async () => String((await run('SELECT pg_current_snapshot()::text AS c', []))[0]!.c),
    async arrivedSince(cursor, { tsBefore, bucketMs }) {
      // A cursor is a snapshot: the rows it could not see (transactions not yet committed then,
      // whatever their order) that the new one can. Only ids from the old snapshot's xmin on can
      // be among them, so the index is read from there.
      const now = String((await run('SELECT pg_current_snapshot()::text AS c', []))[0]!.c);
      const rows = await read(
        'SELECT DISTINCT (ts / $3::bigint) * $3::bigint AS b FROM requests WHERE arrival >= pg_snapshot_xmin($1::pg_snapshot) ' +
          'AND NOT pg_visible_in_snapshot(arrival, $1::pg_snapshot) AND pg_visible_in_snapshot(arrival, $2::pg_snapshot) AND ts < $4 ORDER BY b',
        [cursor, now, bucketMs, tsBefore],
      );
      return { cursor: now, buckets: rows.map((r) => Number(r.b)) };
    },
    async watchCursor() {
      // Snapshots taken later see more: their xmax never goes down. One ahead of this server's
      // (a database restored into another, whose transaction ids start lower) is not resumed from.
      const r = await run(
        "SELECT cursor, owed FROM anomaly_cursor WHERE name = 'live' AND pg_snapshot_xmax(cursor::pg_snapshot) <= pg_snapshot_xmax(pg_current_snapshot())",
        [],
      );
      return r[0] && { cursor: String(r[0].cursor), owed: String(r[0].owed) };
    },
    ...chargeQueue(run),
    async saveWatchCursor(c, at) {
      await run(
        "INSERT INTO anomaly_cursor (name, cursor, owed, saved_at) VALUES ('live', $1, $2, $3) ON CONFLICT (name) DO UPDATE SET cursor = excluded.cursor, owed = excluded.owed, saved_at = excluded.saved_at",
        [c.cursor, c.owed, at],
      );
    },
  };
}

/** One multi-row UPSERT per table; deltas are already merged per key, and sorted to keep lock order stable across replicas. */
async function upsertRollups(c: pg.PoolClient, table: RollupTable, deltas: RollupDelta[], toParam: (v: unknown) => unknown): Promise<void> {
  const width = rollupKeys(table).length + ROLLUP_MEASURES.length + (hasSpan(table) ? ROLLUP_SPAN.length : 0);
  const perStatement = Math.floor(60_000 / width);
  for (let i = 0; i < deltas.length; i += perStatement) {
    const chunk = deltas.slice(i, i + perStatement);
    const single = rollupUpsertSql(table, (k) => `$${k}`);
    const [head, tail] = [single.slice(0, single.indexOf(' VALUES ')), single.slice(single.indexOf(' ON CONFLICT '))];
    const tuples = chunk.map((_, j) => `(${Array.from({ length: width }, (__, k) => `$${j * width + k + 1}`).join(', ')})`);
    const params = chunk.flatMap((d) => rollupValues(d).map(toParam));
    await c.query(`${head} VALUES ${tuples.join(', ')}${tail}`, params);
  }
}

async function* scanRows(pool: pg.Pool, filter: TimeFilter, timeoutMs: number): AsyncIterable<LedgerRow> {
  // Keyset pagination: constant memory however many rows match.
  let after: { ts: number; id: string } | undefined;
  for (;;) {
    const params: unknown[] = [];
    const where = timeTerms(filter, params, (i) => `$${i}`);
    if (after) where.push(`(ts, id) > ($${params.push(after.ts)}, $${params.push(after.id)})`);
    const sql = `SELECT * FROM requests${where.length ? ' WHERE ' + where.join(' AND ') : ''} ORDER BY ts, id LIMIT 2000`;
    const { rows } = await pool.query<Row>(boundQuery(sql, params, timeoutMs));
    for (const r of rows) yield rowFromRecord(r);
    if (rows.length < 2000) return;
    const last = rowFromRecord(rows[rows.length - 1]!);
    after = { ts: last.ts, id: last.id };
  }
}

/** Rows per page of `cacheRows`. */
const CACHE_PAGE = 2000;

async function* cacheRows(pool: pg.Pool, filter: TimeFilter, timeoutMs: number): AsyncIterable<CacheRow[]> {
  const cols = cacheRowSelect((name) => `tags ->> '${name}'`, 'cost_picos');
  const page = async (after: { ts: number; id: string } | undefined): Promise<CacheRow[]> => {
    const params: unknown[] = [];
    const where = [...timeTerms(filter, params, (i) => `$${i}`), 'status < 400', "outcome = 'ok'"];
    if (after) where.push(`(ts, id) > ($${params.push(after.ts)}, $${params.push(after.id)})`);
    const sql = `SELECT ${cols.join(', ')} FROM requests WHERE ${where.join(' AND ')} ORDER BY ts, id LIMIT ${CACHE_PAGE}`;
    const { rows } = await pool.query<unknown[]>({ ...boundQuery(sql, params, timeoutMs), rowMode: 'array' });
    return rows.map(cacheRowFromValues);
  };
  let next: Promise<CacheRow[]> | undefined = page(undefined);
  try {
    while (next) {
      const batch: CacheRow[] = await next;
      const last = batch.at(-1);
      // The next page is asked for before this one is handed over: the database seeks it while
      // the analyser works (one seek a page was a sixth of a 10M-row report's time, serially).
      next = batch.length < CACHE_PAGE || !last ? undefined : page({ ts: last.ts, id: last.id });
      if (batch.length > 0) yield batch;
    }
  } finally {
    // A reader that stops early leaves a page in flight: its failure is nobody's to handle.
    next?.catch(() => undefined);
  }
}

function pgSql(pool: pg.Pool, timeoutMs?: number): PolicySql {
  return {
    param: (i) => `$${i}`,
    run: async (sql, params) => {
      const values = params.map(storableParam);
      const res = await pool.query<Row>(timeoutMs === undefined ? { text: sql, values } : boundQuery(sql, values, timeoutMs));
      return { rows: res.rows, count: res.rowCount ?? 0 };
    },
  };
}
