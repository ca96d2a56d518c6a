import {
  auditFromRecord,
  decodeBudget,
  decodeModelPolicy,
  decodeRateLimit,
  encodeBudget,
  encodeDetails,
  encodeIncreaseRequest,
  encodeModelPolicy,
  encodeRateLimit,
  increaseFromRecord,
} from './policy-codec.js';
import type { AuditQuery, PolicyStore } from './ports.js';

type Row = Record<string, unknown>;

/** What the policy store needs from an engine; the SQL itself is the same on SQLite and Postgres. */
export interface PolicySql {
  /** Placeholder for the i-th (1-based) parameter. */
  param(i: number): string;
  /** Runs one statement; `count` is how many rows it inserted, updated or deleted. */
  run(sql: string, params: unknown[]): Promise<{ rows: Row[]; count: number }>;
  /** The value of audit_log.seq for an INSERT, when the column has no default of its own. */
  nextAuditSeq?: string;
}

/** Columns of `increases` that a decision may change. */
const DECISION_COLUMNS = { status: 'status', decidedAt: 'decided_at', decidedBy: 'decided_by', note: 'note', expiresAt: 'expires_at' } as const;

/**
 * One statement, so that replicas joining at once cannot both open an episode: the row is locked
 * (Postgres) or the database is (SQLite) from the read of the open episode to its update.
 */
const CONTINUES = '(excluded.start_ts <= alert_episodes.end_ts + ? AND excluded.end_ts >= alert_episodes.start_ts - ?)';
const JOIN_EPISODE =
  'INSERT INTO alert_episodes (who, key, start_ts, end_ts) VALUES (?, ?, ?, ?) ON CONFLICT (who) DO UPDATE SET ' +
  `key = CASE WHEN ${CONTINUES} THEN alert_episodes.key ELSE excluded.key END, ` +
  `start_ts = CASE WHEN ${CONTINUES} AND alert_episodes.start_ts < excluded.start_ts THEN alert_episodes.start_ts ELSE excluded.start_ts END, ` +
  'end_ts = CASE WHEN alert_episodes.end_ts > excluded.end_ts THEN alert_episodes.end_ts ELSE excluded.end_ts END ' +
  `WHERE ${CONTINUES} OR excluded.end_ts > alert_episodes.end_ts RETURNING key`;

export function sqlPolicyStore(db: PolicySql): PolicyStore {
  // Statements are written with `?` and numbered for the engine here.
  const run = (sql: string, params: unknown[] = []) => {
    let i = 0;
    return db.run(sql.replace(/\?/g, () => db.param(++i)), params);
  };
  const list = async <T>(table: string, decode: (doc: unknown) => T) => (await run(`SELECT doc FROM ${table} ORDER BY created_at, id`)).rows.map((r) => decode(r.doc));
  const put = async (table: string, values: Record<string, unknown>) => {
    const cols = Object.keys(values);
    const update = cols.filter((c) => c !== 'id').map((c) => `${c} = excluded.${c}`);
    await run(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')}) ON CONFLICT (id) DO UPDATE SET ${update.join(', ')}`, Object.values(values));
  };
  const remove = async (table: string, id: string) => (await run(`DELETE FROM ${table} WHERE id = ?`, [id])).count > 0;
  const auditRows = async (opts: AuditQuery) => {
    const where: string[] = [];
    const params: unknown[] = [];
    const and = (cond: string, ...values: unknown[]) => {
      where.push(cond);
      params.push(...values);
    };
    if (opts.since !== undefined) and('ts >= ?', opts.since);
    if (opts.until !== undefined) and('ts < ?', opts.until);
    // Keyset: after the last entry of a page, in the order below (the index on ts, seq serves it).
    if (opts.before) and('(ts < ? OR (ts = ? AND seq < ?))', opts.before.ts, opts.before.ts, opts.before.seq);
    // Entries made in the same millisecond keep the order they were written in.
    let sql = `SELECT * FROM audit_log${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ts DESC, seq DESC`;
    if (opts.limit !== undefined) {
      if (!Number.isInteger(opts.limit) || opts.limit < 0) throw new RangeError('audit: limit must be a whole number');
      sql += ' LIMIT ?';
      params.push(opts.limit);
    }
    return (await run(sql, params)).rows;
  };

  return {
    listBudgets: () => list('budgets', decodeBudget),
    // Encoding validates, so the put methods are async: a bad rule becomes a rejected promise, not a throw.
    putBudget: async (b) => {
      await put('budgets', { id: b.id, kind: b.kind, doc: encodeBudget(b), created_at: b.createdAt });
    },
    deleteBudget: (id) => remove('budgets', id),

    listRateLimits: () => list('rate_limits', decodeRateLimit),
    putRateLimit: async (r) => {
      await put('rate_limits', { id: r.id, doc: encodeRateLimit(r), created_at: r.createdAt });
    },
    deleteRateLimit: (id) => remove('rate_limits', id),

    listModelPolicies: () => list('model_policies', decodeModelPolicy),
    putModelPolicy: async (p) => {
      await put('model_policies', { id: p.id, doc: encodeModelPolicy(p), created_at: p.createdAt });
    },
    deleteModelPolicy: (id) => remove('model_policies', id),

    async createIncrease(i) {
      await run('INSERT INTO increases (id, status, created_at, decided_at, decided_by, note, expires_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
        i.id, i.status, i.createdAt, i.decidedAt, i.decidedBy, i.note, i.expiresAt, encodeIncreaseRequest(i),
      ]);
    },
    async getIncrease(id) {
      const [rec] = (await run('SELECT * FROM increases WHERE id = ?', [id])).rows;
      return rec ? increaseFromRecord(rec) : undefined;
    },
    async listIncreases(opts) {
      const where = opts?.status ? ' WHERE status = ?' : '';
      const { rows } = await run(`SELECT * FROM increases${where} ORDER BY created_at DESC, id DESC`, opts?.status ? [opts.status] : []);
      return rows.map(increaseFromRecord);
    },
    async transitionIncrease(id, from, to) {
      const changes = (Object.keys(DECISION_COLUMNS) as (keyof typeof DECISION_COLUMNS)[]).filter((k) => to[k] !== undefined);
      const set = changes.length ? changes.map((k) => `${DECISION_COLUMNS[k]} = ?`).join(', ') : 'status = status';
      // One conditional UPDATE: of two concurrent transitions from the same state, the database lets one through.
      const { rows } = await run(`UPDATE increases SET ${set} WHERE id = ? AND status = ? RETURNING *`, [...changes.map((k) => to[k]), id, from]);
      return rows[0] ? increaseFromRecord(rows[0]) : undefined;
    },

    async appendAudit(e) {
      const seq = db.nextAuditSeq;
      const sql =
        seq === undefined
          ? 'INSERT INTO audit_log (id, ts, actor, action, subject, details) VALUES (?, ?, ?, ?, ?, ?)'
          : `INSERT INTO audit_log (id, seq, ts, actor, action, subject, details) VALUES (?, ${seq}, ?, ?, ?, ?, ?)`;
      await run(sql, [e.id, e.ts, e.actor, e.action, e.subject, encodeDetails(e.details)]);
    },
    async listAudit(opts) {
      return (await auditRows(opts ?? {})).map(auditFromRecord);
    },
    async pageAudit(opts) {
      if (!Number.isInteger(opts.limit) || opts.limit < 1) throw new RangeError('audit: limit must be a whole number above 0');
      // One more than asked: whether another page follows.
      const rows = await auditRows({ ...opts, limit: opts.limit + 1 });
      const page = rows.slice(0, opts.limit);
      const last = page[page.length - 1];
      return { entries: page.map(auditFromRecord), next: rows.length > opts.limit && last ? { ts: Number(last.ts), seq: Number(last.seq) } : undefined };
    },

    async claimAlert(key, at) {
      return (await run('INSERT INTO alert_claims (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [key, at])).count === 1;
    },

    async joinEpisode(e, gapMs) {
      const { rows } = await run(JOIN_EPISODE, [e.who, e.key, e.start, e.end, gapMs, gapMs, gapMs, gapMs, gapMs, gapMs]);
      // No row back: a late, older window that leaves the open episode as it was.
      return rows.length ? String(rows[0]!.key) : e.key;
    },
  };
}
