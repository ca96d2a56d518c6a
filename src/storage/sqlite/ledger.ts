import type { CacheRow, LedgerRow } from '../../core/ledger-row.js';
import type { SqlDialect } from '../aggregate.js';
import { sqlReads } from '../sql-reads.js';
import { CHARGE_HORIZON_MS, chargeFromJson, chargeRecords } from '../budget-charges.js';
import { rollupUpsertSql } from '../rollup-sql.js';
import { pendingResponseSql, pendingResponsesSql } from '../pending-sql.js';
import type { LedgerStore, TimeFilter, UpsertOptions } from '../ports.js';
import { GATEWAY_SOURCE, OTHERS_STORED_SQL, SESSION_WINDOW_MS, agentProbes, agentRanges, agentRowsParams, agentRowsSql, crossSourceCheck, matchedByAgent, matchedByUsage, probesOf, probesToRun, repeatedInRange, responseLookups, sessionlessRanges, sourcesById, type UsageFound, type UsageProbe, usageProbesOf, usageRanges, usageRowsParams, usageRowsSql } from '../cross-source.js';
import { IDLESS_OTHERS_STORED_SQL, afterReplacing, replaceProbesOf, replaceRanges, REPLACEABLE_ROWS_SQL, replaceableRowsParams, replacedRows } from '../cross-source-replace.js';
import { rollupDeltas, rollupValues, sameRow } from '../rollup.js';
import { ATTEMPT_COLUMNS, REQUEST_COLUMNS, type RollupTable, attemptFromRecord, attemptValues, cacheRowFromValues, cacheRowSelect, rowFromRecord, rowValues } from '../schema.js';
import { insertWithConstants } from './constant-columns.js';
import { storableRows } from '../storable.js';
import { type Db, LOCK_WAIT_MS, openDb, statementCache } from './db.js';
import { keysetPages } from './keyset-pages.js';

type Row = Record<string, unknown>;

/** Below this many rows a batch keeps the indexes up to date as it goes (see deferIndexes). */
const DEFER_INDEXES_MIN_ROWS = 10_000;

const DIALECT: SqlDialect = {
  param: () => '?',
  // Tag names are restricted to [A-Za-z0-9_.-] by the report's argument check, so quoting is safe.
  tagExpr: (key) => `COALESCE(json_extract(tags, '$."${key}"'), '')`,
  isTrue: (c) => `${c} = 1`,
};

/**
 * The ledger alone, on its own connection: what `tollgate import` writes to, without
 * loading the policy, key and telemetry stores (and their validation library).
 */
export function openSqliteLedger(path: string): { ledger: LedgerStore; close(): Promise<void> } {
  const db = openDb(path);
  return {
    ledger: sqliteLedger(db),
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
}

export interface SqliteLedgerOptions {
  /**
   * How long an insert waits for another connection's write lock (an import, a second
   * process) before it fails. SQLite waits by blocking the thread: the gateway's event loop
   * sets this low and retries the batch later, rows safe in its spool.
   */
  insertLockWaitMs?: number;
}

/** The columns an insert writes: the row's, and its rowid, which says which write brought it (schema version 23). */
const STORED_COLUMNS = [...REQUEST_COLUMNS, 'rowid'];

export function sqliteLedger(db: Db, o: SqliteLedgerOptions = {}): LedgerStore {
  const toInt = (b: boolean) => (b ? 1 : 0);
  const insertRow = db.prepare(`INSERT OR IGNORE INTO requests (${STORED_COLUMNS.join(', ')}) VALUES (${STORED_COLUMNS.map(() => '?').join(', ')})`);
  // Each write transaction takes the next `count` rowids (writes take turns, so they commit in order),
  // above any row a process not taking them wrote; returns the first.
  const takeRowids = db.prepare('UPDATE ledger_arrival SET n = MAX(n, (SELECT COALESCE(MAX(rowid), 0) FROM requests)) + ? RETURNING n');
  const firstRowid = (count: number) => Number((takeRowids.get(count) as Row).n) - count + 1;
  // Rows a writer put in without taking rowids (a seeder, an older Tollgate) count as arrived: a first
  // cursor taken on such a ledger would otherwise take every stored row for a late arrival.
  const arrivalNow = db.prepare('SELECT MAX(n, (SELECT COALESCE(MAX(rowid), 0) FROM requests)) AS n FROM ledger_arrival');
  const storedValues = (r: LedgerRow, rowid: number) => {
    const v = rowValues(r, toInt);
    v.push(rowid);
    return v;
  };
  const insertAttempt = db.prepare(`INSERT OR IGNORE INTO attempts (${ATTEMPT_COLUMNS.join(', ')}) VALUES (${ATTEMPT_COLUMNS.map(() => '?').join(', ')})`);
  const attemptsOf = db.prepare('SELECT * FROM attempts WHERE request_id = ? ORDER BY n').safeIntegers();
  const upserts = new Map<RollupTable, ReturnType<Db['prepare']>>();
  const upsert = (table: RollupTable) => {
    let s = upserts.get(table);
    if (!s) upserts.set(table, (s = db.prepare(rollupUpsertSql(table, () => '?'))));
    return s;
  };
  // One query per batch (a query per row was a sixth of an import's write), as on Postgres.
  // Other sources' rows by id: `source <> s` as two ranges, each a seek in requests_upstream_other.
  // Gateway rows, for another source's row with a session: that session's rows around its time.
  const repeatedProbes = db.prepare(
    "SELECT x.value ->> '$[0]' AS i FROM json_each(?) AS x " +
      `WHERE EXISTS (SELECT 1 FROM requests r WHERE r.upstream_request_id = x.value ->> '$[1]' AND r.source <> '${GATEWAY_SOURCE}' AND r.source < x.value ->> '$[2]') ` +
      `OR EXISTS (SELECT 1 FROM requests r WHERE r.upstream_request_id = x.value ->> '$[1]' AND r.source <> '${GATEWAY_SOURCE}' AND r.source > x.value ->> '$[2]') ` +
      `OR (x.value ->> '$[2]' <> '${GATEWAY_SOURCE}' AND x.value ->> '$[3]' IS NOT NULL AND EXISTS (SELECT 1 FROM requests r WHERE r.session_id = x.value ->> '$[3]' ` +
      `AND r.ts BETWEEN x.value ->> '$[4]' - ${SESSION_WINDOW_MS} AND x.value ->> '$[4]' + ${SESSION_WINDOW_MS} AND r.upstream_request_id = x.value ->> '$[1]' AND r.source = '${GATEWAY_SOURCE}'))`,
  );
  const sessionlessGatewayRows = db.prepare(
    `SELECT upstream_request_id AS u, ts FROM requests WHERE session_id IS NULL AND ts BETWEEN ? AND ? AND source = '${GATEWAY_SOURCE}' AND upstream_request_id IN (SELECT value FROM json_each(?))`,
  );
  const isEmpty = db.prepare('SELECT NOT EXISTS (SELECT 1 FROM requests) AS e');
  const othersStored = db.prepare(OTHERS_STORED_SQL);
  // A session's gateway rows, and those of the probe's peer source (cross-source.ts, USAGE_PEERS).
  const sessionUsageRows = db.prepare(usageRowsSql(() => '?'));
  // A sub-agent's gateway rows, under its parent's session, by the thread in their agent_id tag (cross-source.ts).
  const agentUsageRows = db.prepare(agentRowsSql(() => '?', (key) => `tags ->> '${key}'`, () => 'IN (SELECT value FROM json_each(?))'));
  // Through requests_ts: the rows of the window, their response ids compared (see cross-source.ts).
  const responsesIn = db.prepare('SELECT response_id AS id, source FROM requests WHERE ts BETWEEN ? AND ? AND response_id IN (SELECT value FROM json_each(?))');
  /** Rows that repeat a request another source already recorded (see cross-source.ts). */
  const crossSourceRepeats = (rows: readonly LedgerRow[]) => {
    const repeated = new Set<number>();
    // Into an empty ledger (a first import) no other source can have recorded anything.
    const empty = Boolean((isEmpty.get() as { e: number }).e);
    const probes = empty ? [] : probesToRun(probesOf(rows), () => Boolean((othersStored.get() as { e: number }).e));
    if (probes.length > 0) {
      const tuples = probes.map((p) => [p.i, p.upstreamId, p.source, p.sessionId, p.ts]);
      for (const r of repeatedProbes.all(JSON.stringify(tuples)) as { i: number }[]) repeated.add(Number(r.i));
      for (const range of sessionlessRanges(probes)) {
        const found = sessionlessGatewayRows.all(range.from, range.to, JSON.stringify(range.items.map((p) => p.upstreamId))) as { u: string; ts: number }[];
        for (const p of repeatedInRange(range, found)) repeated.add(p.i);
      }
    }
    if (!empty) {
      const left: UsageProbe[] = [];
      for (const range of usageRanges(usageProbesOf(rows))) {
        const rowsIn = sessionUsageRows.all(...usageRowsParams(range)) as UsageFound[];
        const matched = matchedByUsage(range, rowsIn);
        for (const p of matched) repeated.add(p.i);
        left.push(...agentProbes(range, matched));
      }
      for (const a of agentRanges(left)) {
        const [from, to, inputs, threads] = agentRowsParams(a);
        const found = agentUsageRows.all(from, to, JSON.stringify(inputs), JSON.stringify(threads)) as (UsageFound & { agent: string })[];
        for (const p of matchedByAgent(a, found)) repeated.add(p.i);
      }
    }
    const found = empty ? [] : responseLookups(rows).flatMap((l) => responsesIn.all([l.from, l.to, JSON.stringify(l.items.map((r) => r.responseId))]) as { id: string; source: string }[]);
    return crossSourceCheck(rows, repeated, sourcesById(found));
  };
  const existing = db.prepare('SELECT * FROM requests WHERE id = ?').safeIntegers();
  const deleteRow = db.prepare('DELETE FROM requests WHERE id = ?');
  const deleteAttempts = db.prepare('DELETE FROM attempts WHERE request_id = ?');
  const writeRollups = (added: readonly LedgerRow[], removed: readonly LedgerRow[] = []) => {
    for (const d of rollupDeltas(added, removed)) upsert(d.table).run(rollupValues(d));
  };
  const idlessOthers = db.prepare(IDLESS_OTHERS_STORED_SQL);
  const replaceableRows = db.prepare(REPLACEABLE_ROWS_SQL).safeIntegers();
  /** Takes out the rows of other sources that gateway rows just written repeat (cross-source-replace.ts). */
  const replaceRepeated = (written: readonly LedgerRow[]) => {
    // The ledger's answer first (two index seeks): most ledgers hold no such row, and then no probe is made.
    if (written.length === 0 || !(idlessOthers.get() as { e: number | bigint }).e) return afterReplacing(written, []);
    const probes = replaceProbesOf(written);
    if (probes.length === 0) return afterReplacing(written, []);
    const found = replaceRanges(probes).flatMap((r) => (replaceableRows.all(...replaceableRowsParams(r)) as Row[]).map(rowFromRecord));
    const replaced = replacedRows(probes, found);
    for (const r of replaced) {
      deleteRow.run(r.id);
      deleteAttempts.run(r.id);
    }
    return afterReplacing(written, replaced);
  };
  const lastRowid = db.prepare('SELECT COALESCE(MAX(rowid), 0) AS n FROM requests');
  const secondaryIndexes = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'requests' AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'");
  /**
   * For a batch larger than the table (a first import), drops the secondary indexes of
   * `requests`, to be built again after the inserts: sorting once is cheaper than as many
   * random index inserts (a fifth of the insert time at 20,000 rows). Inside the
   * transaction, so no other connection ever sees the table without them.
   */
  const deferIndexes = (rows: number): string[] => {
    if (rows < DEFER_INDEXES_MIN_ROWS || Number((lastRowid.get() as Row).n) >= rows) return [];
    const indexes = secondaryIndexes.all() as { name: string; sql: string }[];
    for (const i of indexes) db.exec(`DROP INDEX "${i.name}"`);
    return indexes.map((i) => i.sql);
  };
  const insertCharge = db.prepare('INSERT INTO budget_charges (id, ts, spend) VALUES (?, ?, ?)');
  const pruneCharges = db.prepare('DELETE FROM budget_charges WHERE ts < ?');
  const writeCharges = (added: readonly LedgerRow[], removed: readonly LedgerRow[]) => {
    const now = Date.now();
    // Charges no gateway took (none running, or none with budgets) go once no window can hold them.
    pruneCharges.run(now - CHARGE_HORIZON_MS);
    for (const c of chargeRecords(added, removed, now)) insertCharge.run(c);
  };
  const insertBatch = db.transaction((rows: readonly LedgerRow[], charge: boolean) => {
    const fresh: LedgerRow[] = [];
    const seen = crossSourceRepeats(rows);
    const rebuild = deferIndexes(rows.length);
    const kept = rows.filter((r) => !seen(r));
    const first = firstRowid(kept.length);
    const inserted = insertWithConstants(db, 'requests', STORED_COLUMNS, kept.length, (i) => storedValues(kept[i]!, first + i), insertRow);
    for (let i = 0; i < kept.length; i++) {
      if (!inserted[i]) continue;
      const r = kept[i]!;
      fresh.push(r);
      if (r.attemptLog) for (const a of r.attemptLog) insertAttempt.run(attemptValues(a, toInt));
    }
    for (const sql of rebuild) db.exec(sql);
    const { kept: counted, removed } = replaceRepeated(fresh);
    writeRollups(counted, removed);
    // A removed row's spend was queued as a charge when it was written: it is taken back whoever writes.
    if (charge || removed.length > 0) writeCharges(charge ? counted : [], removed);
    return counted;
  });
  const upsertBatch = db.transaction((rows: readonly LedgerRow[], remove: readonly string[], { replaceIf, keep, charge }: UpsertOptions) => {
    const added: LedgerRow[] = [];
    const removed: LedgerRow[] = [];
    let rowid = firstRowid(rows.length);
    const take = (id: string) => {
      const rec = existing.get(id) as Row | undefined;
      if (!rec) return undefined;
      deleteRow.run(id);
      return rowFromRecord(rec);
    };
    for (const id of remove) {
      const old = take(id);
      if (old) removed.push(old);
    }
    const seen = crossSourceRepeats(rows);
    for (const r of rows) {
      if (seen(r)) continue;
      const rec = existing.get(r.id) as Row | undefined;
      if (replaceIf && !(rec && replaceIf(rowFromRecord(rec)))) continue;
      if (rec && keep?.(rowFromRecord(rec), r)) continue;
      if (rec && sameRow(rowFromRecord(rec), r)) continue;
      if (rec) removed.push(take(r.id)!);
      insertRow.run(storedValues(r, rowid++));
      if (r.attemptLog) {
        deleteAttempts.run(r.id);
        for (const a of r.attemptLog) insertAttempt.run(attemptValues(a, toInt));
      }
      added.push(r);
    }
    const after = replaceRepeated(added);
    removed.push(...after.removed);
    writeRollups(after.kept, removed);
    if (charge) writeCharges(after.kept, removed);
    else if (after.removed.length > 0) writeCharges([], after.removed);
    return after.kept.length;
  });
  const takeCharges = db.prepare('DELETE FROM budget_charges WHERE id IN (SELECT id FROM budget_charges LIMIT ?) RETURNING spend');
  const pendingCharges = db.prepare('SELECT spend FROM budget_charges');
  const anyBudget = db.prepare('SELECT EXISTS (SELECT 1 FROM budgets) AS b').pluck();
  const selectOne = db.prepare('SELECT 1');
  const getRow = db.prepare('SELECT * FROM requests WHERE id = ?').safeIntegers();
  // Through requests_ts: one seek, however large the ledger.
  const firstTs = db.prepare('SELECT MIN(ts) AS t FROM requests');
  // A range of rowids: the table's own key, no index needed.
  const arrivedBuckets = db.prepare('SELECT DISTINCT (ts / ?) * ? AS b FROM requests WHERE rowid > ? AND rowid <= ? AND ts < ? ORDER BY b');
  const statement = statementCache((sql) => db.prepare(sql).safeIntegers());
  const run = (sql: string, params: unknown[]) => Promise.resolve(statement(sql).all(params) as Row[]);

  // A saved cursor ahead of the counter (the file replaced by an older copy) is not resumed from.
  const watchCursor = db.prepare("SELECT cursor, owed FROM anomaly_cursor WHERE name = 'live' AND CAST(cursor AS INTEGER) <= (SELECT n FROM ledger_arrival)");
  const saveWatchCursor = db.prepare(
    "INSERT INTO anomaly_cursor (name, cursor, owed, saved_at) VALUES ('live', ?, ?, ?) ON CONFLICT (name) DO UPDATE SET cursor = excluded.cursor, owed = excluded.owed, saved_at = excluded.saved_at",
  );

  const waitShort = o.insertLockWaitMs !== undefined && o.insertLockWaitMs !== LOCK_WAIT_MS;
  /** Runs a write with the gateway's short wait for another connection's lock. */
  const write = <T>(fn: () => T): T => {
    if (!waitShort) return fn();
    db.exec(`PRAGMA busy_timeout = ${o.insertLockWaitMs}`);
    try {
      return fn();
    } finally {
      db.exec(`PRAGMA busy_timeout = ${LOCK_WAIT_MS}`);
    }
  };
  const insert = (rows: readonly LedgerRow[], charge = false): readonly LedgerRow[] => write(() => insertBatch.immediate(rows, charge));

  return {
    insert: (rows) => settled(() => (rows.length === 0 ? 0 : insert(storableRows(rows)).length)),
    insertCharged: (rows) => settled(() => (rows.length === 0 ? 0 : insert(storableRows(rows), true).length)),
    insertNew: (rows) => settled(() => (rows.length === 0 ? [] : insert(storableRows(rows)).map((r) => r.id))),
    // With the gateway's short wait too: it settles background responses on its event loop.
    upsert: (rows, remove = [], uo = {}) => settled(() => (rows.length + remove.length === 0 ? 0 : write(() => upsertBatch.immediate(storableRows(rows), remove, uo)))),
    takeCharges: (limit) => settled(() => (takeCharges.all(limit) as { spend: string }[]).map((r) => chargeFromJson(r.spend))),
    pendingCharges: () => Promise.resolve((pendingCharges.all() as { spend: string }[]).map((r) => chargeFromJson(r.spend))),
    budgetsStored: () => Promise.resolve(anyBudget.get() === 1),
    ping: () => {
      selectOne.get();
      return Promise.resolve();
    },
    get: (id) => {
      const rec = getRow.get(id) as Row | undefined;
      return Promise.resolve(rec ? rowFromRecord(rec) : undefined);
    },
    pendingResponse: (responseId, api = 'openai.responses') => {
      const rec = statement(pendingResponseSql(api, '?')).get(responseId) as Row | undefined;
      return Promise.resolve(rec ? rowFromRecord(rec) : undefined);
    },
    pendingResponses: (q) => Promise.resolve((statement(pendingResponsesSql(q.api, () => '?')).all([q.from, q.to, q.after?.ts ?? -1, q.after?.id ?? '', q.limit]) as Row[]).map(rowFromRecord)),
    attempts: (id) => Promise.resolve((attemptsOf.all(id) as Row[]).map(attemptFromRecord)),
    firstTs: () => {
      const t = (firstTs.get() as { t: number | null }).t;
      return Promise.resolve(t === null ? undefined : Number(t));
    },
    scan: (filter) => scanRows(db, filter),
    cacheRows: (filter) => cacheRows(db, filter),
    ...sqlReads(run, DIALECT),
    arrivalCursor: () => Promise.resolve(String((arrivalNow.get() as Row).n)),
    arrivedSince: (cursor, { tsBefore, bucketMs }) => {
      // The counter first: a write committed after it is left for the next read. The bucket as a
      // bigint, bound as an integer: a number would be a REAL, and the division not whole.
      const now = Number((arrivalNow.get() as Row).n);
      const buckets = (arrivedBuckets.all(BigInt(bucketMs), BigInt(bucketMs), Number(cursor), now, tsBefore) as { b: number }[]).map((r) => Number(r.b));
      return Promise.resolve({ cursor: String(now), buckets });
    },
    watchCursor: () => {
      const r = watchCursor.get() as { cursor: string; owed: string } | undefined;
      return Promise.resolve(r && { cursor: r.cursor, owed: r.owed });
    },
    saveWatchCursor: (c, at) => {
      try {
        write(() => saveWatchCursor.run(c.cursor, c.owed, at));
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
  };
}

async function* scanRows(db: Db, filter: TimeFilter): AsyncIterable<LedgerRow> {
  const pages = keysetPages<Row>({ db, select: 'SELECT * FROM requests', filter, size: SCAN_PAGE, read: (s) => s.safeIntegers(), key: (r) => ({ ts: r.ts, id: r.id }) });
  for await (const page of pages) for (const r of page) yield rowFromRecord(r);
}

async function* cacheRows(db: Db, filter: TimeFilter): AsyncIterable<CacheRow[]> {
  // Cost as text, so that it reads exactly without the cost of safe integers on every column.
  const cols = cacheRowSelect((name) => `tags ->> '$.${name}'`, 'CAST(cost_picos AS TEXT)');
  const select = `SELECT ${cols.join(', ')} FROM requests`;
  // Array rows (no object per record): the id is the first value, ts the second.
  const pages = keysetPages<unknown[]>({ db, select, terms: ['status < 400', "outcome = 'ok'"], filter, size: CACHE_PAGE, read: (s) => s.raw(true), key: (v) => ({ id: v[0], ts: v[1] }) });
  for await (const page of pages) yield page.map(cacheRowFromValues);
}

/** Rows per page of `scan`. */
const SCAN_PAGE = 2000;
/** Rows per page of `cacheRows`: one await a page, not one a row. */
const CACHE_PAGE = 2000;

/** A synchronous write as the port's promise: its error a rejection, never a throw. */
function settled<T>(write: () => T): Promise<T> {
  try {
    return Promise.resolve(write());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
