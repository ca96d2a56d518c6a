import { statSync } from 'node:fs';
import { type PolicySql, sqlPolicyStore } from '../policy-store.js';
import { storableParam } from '../storable.js';
import { keyFromRecord } from '../key-record.js';
import { sqlTelemetryStore } from '../telemetry-store.js';
import { sqlOutcomeStore } from '../outcome-store.js';
import { sqlAlertOutbox } from '../alert-outbox.js';
import { sqlObjectOwners } from '../object-owners.js';
import type { KeyStore, NewKey, PolicyStore, Storage } from '../ports.js';
import { type Db, checkWritable, openDb, statementCache } from './db.js';
import { type SqliteLedgerOptions, sqliteLedger } from './ledger.js';

export { SQLITE_TYPES } from './db.js';

type Row = Record<string, unknown>;

/** The embedded default: one SQLite file in WAL mode (see openDb). */
export function openSqlite(path: string, o: SqliteLedgerOptions = {}): Storage {
  const db = openDb(path);
  const opened = path === ':memory:' ? undefined : statSync(path);
  return {
    kind: 'sqlite',
    lostFile: () => {
      if (!opened) return undefined;
      const now = statSync(path, { throwIfNoEntry: false });
      if (!now) return `the ledger file "${path}" was deleted`;
      return now.ino !== opened.ino || now.dev !== opened.dev ? `the ledger file "${path}" was replaced by another file` : undefined;
    },
    checkWritable: () => checkWritable(db, path),
    ledger: sqliteLedger(db, o),
    keys: sqliteKeys(db),
    policy: sqlitePolicy(db),
    telemetry: sqlTelemetryStore(sqliteSql(db)),
    outcomes: sqlOutcomeStore(sqliteSql(db)),
    alertOutbox: sqlAlertOutbox(sqliteSql(db)),
    objects: sqlObjectOwners(sqliteSql(db)),
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
}

function sqliteSql(db: Db): PolicySql {
  const statement = statementCache((sql) => db.prepare(sql));
  return {
    param: () => '?',
    run: (sql, given) => {
      const stmt = statement(sql);
      const params = given.map(storableParam);
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
  const byId = db.prepare('SELECT * FROM api_keys WHERE id = ?');
  return {
    create: (k: NewKey) => {
      db.prepare('INSERT INTO api_keys (id, hash, prefix, user_name, team, project, name, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
        k.id, k.hash, k.prefix, k.user, k.team, k.project, k.name, k.createdAt, k.expiresAt ?? null,
      );
      return Promise.resolve(keyFromRecord(byId.get(k.id) as Row));
    },
    list: (opts) => {
      const sql = `SELECT * FROM api_keys${opts?.includeRevoked ? '' : ' WHERE revoked_at IS NULL'} ORDER BY created_at, id`;
      return Promise.resolve((db.prepare(sql).all() as Row[]).map(keyFromRecord));
    },
    revoke: (id, at) => {
      db.prepare('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?').run(at, id);
      const r = byId.get(id) as Row | undefined;
      return Promise.resolve(r ? keyFromRecord(r) : undefined);
    },
    findByHash: (hash) => {
      const r = db.prepare('SELECT * FROM api_keys WHERE hash = ?').get(hash) as Row | undefined;
      return Promise.resolve(r ? keyFromRecord(r) : undefined);
    },
  };
}
