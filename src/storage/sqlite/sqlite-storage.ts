import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'libsql';
import type { LedgerRow } from '../../core/ledger-row.js';
import { type SqlDialect, aggregate } from '../aggregate.js';
import { migrations, rollupUpsertSql } from '../ddl.js';
import { type PolicySql, sqlPolicyStore } from '../policy-store.js';
import { sqlTelemetryStore } from '../telemetry-store.js';
import { ruleTotals } from '../rule-totals.js';
import { sqlOutcomeStore } from '../outcome-store.js';
import type { AggregateQuery, KeyRecord, KeyStore, LedgerStore, NewKey, PolicyStore, Storage, TimeFilter } from '../ports.js';
import { callerTotals, failedRequestIds, repeatedSteps, requestPoints } from '../points.js';
import { crossSourceCheck, measureValues, rollupDeltas, sameRow } from '../rollup.js';
import { ATTEMPT_COLUMNS, REQUEST_COLUMNS, type RollupTable, attemptFromRecord, attemptValues, rowFromRecord, rowValues } from '../schema.js';
import { timeTerms } from '../time-window.js';

type Db = InstanceType<typeof Database>;
type Row = Record<string, unknown>;

export const SQLITE_TYPES = { text: 'TEXT', int: 'INTEGER', bigint: 'INTEGER', bool: 'INTEGER', json: 'TEXT', serial: 'INTEGER', keyedTableSuffix: ' WITHOUT ROWID' };

const DIALECT: SqlDialect = {
  param: () => '?',
  // Tag names are restricted to [A-Za-z0-9_.-] by the report's argument check, so quoting is safe.
  tagExpr: (key) => `COALESCE(json_extract(tags, '$."${key}"'), '')`,
  isTrue: (c) => `${c} = 1`,
};

/**
 * The embedded default: one SQLite file in WAL mode. WAL lets `tollgate report` read
 * while `tollgate serve` writes; synchronous=NORMAL is durable against a crash of the
 * process (the kill -9 case), and the metering spool covers the gap until a batch commits.
 */
export function openSqlite(path: string): Storage {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA busy_timeout = 5000');
  migrate(db);
  return {
    kind: 'sqlite',
    ledger: sqliteLedger(db),
    keys: sqliteKeys(db),
    policy: sqlitePolicy(db),
    telemetry: sqlTelemetryStore(sqliteSql(db)),
    outcomes: sqlOutcomeStore(sqliteSql(db)),
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
}

function migrate(db: Db): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const current = Number((db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as Row).v ?? 0);
  for (const m of migrations(SQLITE_TYPES)) {
    if (m.version <= current) continue;
    db.transaction(() => {
      for (const s of m.statements) db.exec(s);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(m.version, Date.now());
    }).immediate();
  }
}

function sqliteLedger(db: Db): LedgerStore {
  const insertRow = db.prepare(`INSERT OR IGNORE INTO requests (${REQUEST_COLUMNS.join(', ')}) VALUES (${REQUEST_COLUMNS.map(() => '?').join(', ')})`);
  const insertAttempt = db.prepare(`INSERT OR IGNORE INTO attempts (${ATTEMPT_COLUMNS.join(', ')}) VALUES (${ATTEMPT_COLUMNS.map(() => '?').join(', ')})`);
  const attemptsOf = db.prepare('SELECT * FROM attempts WHERE request_id = ? ORDER BY n').safeIntegers();
  const upserts = new Map<RollupTable, ReturnType<Db['prepare']>>();
  const upsert = (table: RollupTable) => {
    let s = upserts.get(table);
    if (!s) upserts.set(table, (s = db.prepare(rollupUpsertSql(table, () => '?'))));
    return s;
  };
  const toInt = (b: boolean) => (b ? 1 : 0);
  const otherSource = db.prepare('SELECT 1 FROM requests WHERE upstream_request_id = ? AND source <> ? LIMIT 1');
  const existing = db.prepare('SELECT * FROM requests WHERE id = ?').safeIntegers();
  const deleteRow = db.prepare('DELETE FROM requests WHERE id = ?');
  const writeRollups = (added: readonly LedgerRow[], removed: readonly LedgerRow[] = []) => {
    for (const d of rollupDeltas(added, removed)) upsert(d.table).run([...d.key, ...measureValues(d.totals)]);
  };
  const insertBatch = db.transaction((rows: readonly LedgerRow[]) => {
    const fresh: LedgerRow[] = [];
    const seen = crossSourceCheck((id, source) => otherSource.get(id, source) !== undefined);
    for (const r of rows) {
      if (seen(r) || insertRow.run(rowValues(r, toInt)).changes !== 1) continue;
      fresh.push(r);
      if (r.attemptLog) for (const a of r.attemptLog) insertAttempt.run(attemptValues(a, toInt));
    }
    writeRollups(fresh);
    return fresh.length;
  });
  const upsertBatch = db.transaction((rows: readonly LedgerRow[], remove: readonly string[]) => {
    const added: LedgerRow[] = [];
    const removed: LedgerRow[] = [];
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
    const seen = crossSourceCheck((id, source) => otherSource.get(id, source) !== undefined);
    for (const r of rows) {
      if (seen(r)) continue;
      const rec = existing.get(r.id) as Row | undefined;
      if (rec && sameRow(rowFromRecord(rec), r)) continue;
      if (rec) removed.push(take(r.id)!);
      insertRow.run(rowValues(r, toInt));
      added.push(r);
    }
    writeRollups(added, removed);
    return added.length;
  });
  const getRow = db.prepare('SELECT * FROM requests WHERE id = ?').safeIntegers();
  const run = (sql: string, params: unknown[]) => Promise.resolve(db.prepare(sql).safeIntegers().all(params) as Row[]);

  return {
    insert: (rows) => Promise.resolve(rows.length === 0 ? 0 : insertBatch.immediate(rows)),
    upsert: (rows, remove = []) => Promise.resolve(rows.length + remove.length === 0 ? 0 : upsertBatch.immediate(rows, remove)),
    get: (id) => {
      const rec = getRow.get(id) as Row | undefined;
      return Promise.resolve(rec ? rowFromRecord(rec) : undefined);
    },
    attempts: (id) => Promise.resolve((attemptsOf.all(id) as Row[]).map(attemptFromRecord)),
    scan: (filter) => scanRows(db, filter),
    aggregate: (q: AggregateQuery) => aggregate(run, DIALECT, q),
    ruleTotals: (f) => ruleTotals(run, DIALECT, f),
    requestPoints: (filter) => requestPoints(run, (i) => DIALECT.param(i), filter),
    repeatedSteps: (filter, minRepeats) => repeatedSteps(run, (i) => DIALECT.param(i), filter, minRepeats),
    callerTotals: (filter) => callerTotals(run, (i) => DIALECT.param(i), filter),
    failedRequestIds: (filter, caller, limit) => failedRequestIds(run, (i) => DIALECT.param(i), filter, caller, limit),
  };
}

async function* scanRows(db: Db, filter: TimeFilter): AsyncIterable<LedgerRow> {
  const params: unknown[] = [];
  const where = timeTerms(filter, params);
  const stmt = db.prepare(`SELECT * FROM requests${where.length ? ' WHERE ' + where.join(' AND ') : ''} ORDER BY ts, id`).safeIntegers();
  let n = 0;
  for (const rec of stmt.iterate(params)) {
    yield rowFromRecord(rec as Row);
    // Let the event loop breathe during a long export.
    if (++n % 1000 === 0) await new Promise((r) => setImmediate(r));
  }
}

function sqliteSql(db: Db): PolicySql {
  return {
    param: () => '?',
    run: (sql, params) => {
      const stmt = db.prepare(sql);
      if (!stmt.reader) return Promise.resolve({ rows: [], count: stmt.run(params).changes });
      const rows = stmt.all(params) as Row[];
      return Promise.resolve({ rows, count: rows.length });
    },
  };
}

function sqlitePolicy(db: Db): PolicyStore {
  return sqlPolicyStore({
    ...sqliteSql(db),
    // SQLite has no sequences; the last rowid is read from the end of the table's b-tree, so this costs no scan.
    nextAuditSeq: '(SELECT COALESCE(MAX(rowid), 0) + 1 FROM audit_log)',
  });
}

function sqliteKeys(db: Db): KeyStore {
  const toRecord = (r: Row): KeyRecord => ({
    id: String(r.id),
    prefix: String(r.prefix),
    user: (r.user_name as string | null) ?? null,
    team: (r.team as string | null) ?? null,
    project: (r.project as string | null) ?? null,
    name: (r.name as string | null) ?? null,
    createdAt: Number(r.created_at),
    revokedAt: r.revoked_at === null || r.revoked_at === undefined ? null : Number(r.revoked_at),
  });
  const byId = db.prepare('SELECT * FROM api_keys WHERE id = ?');
  return {
    create: (k: NewKey) => {
      db.prepare('INSERT INTO api_keys (id, hash, prefix, user_name, team, project, name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
        k.id, k.hash, k.prefix, k.user, k.team, k.project, k.name, k.createdAt,
      );
      return Promise.resolve(toRecord(byId.get(k.id) as Row));
    },
    list: (opts) => {
      const sql = `SELECT * FROM api_keys${opts?.includeRevoked ? '' : ' WHERE revoked_at IS NULL'} ORDER BY created_at, id`;
      return Promise.resolve((db.prepare(sql).all() as Row[]).map(toRecord));
    },
    revoke: (id, at) => {
      db.prepare('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?').run(at, id);
      const r = byId.get(id) as Row | undefined;
      return Promise.resolve(r ? toRecord(r) : undefined);
    },
    findByHash: (hash) => {
      const r = db.prepare('SELECT * FROM api_keys WHERE hash = ?').get(hash) as Row | undefined;
      return Promise.resolve(r ? toRecord(r) : undefined);
    },
  };
}
