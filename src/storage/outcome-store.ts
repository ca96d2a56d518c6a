import type { OutcomeEvent } from '../outcomes/outcome.js';
import type { PolicySql } from './policy-store.js';
import { scalarText } from './schema.js';
import type { OutcomeQuery, OutcomeStore } from './ports.js';

type Row = Record<string, unknown>;

const COLUMNS = ['id', 'kind', 'ts', 'session_id', 'user_name', 'tag_key', 'tag_value', 'value_micros', 'created_at'] as const;

function fromRecord(r: Row): OutcomeEvent {
  const str = (k: string) => (r[k] === null || r[k] === undefined ? null : scalarText(r[k]));
  const tagKey = str('tag_key');
  return {
    id: String(r.id),
    kind: String(r.kind),
    ts: Number(r.ts),
    sessionId: str('session_id'),
    user: str('user_name'),
    tag: tagKey === null ? null : { key: tagKey, value: str('tag_value') ?? '' },
    valueMicros: BigInt(r.value_micros as bigint | number | string),
    createdAt: Number(r.created_at),
  };
}

/** Outcomes on SQLite and Postgres: the same SQL, numbered for the engine. */
export function sqlOutcomeStore(db: PolicySql): OutcomeStore {
  const run = (sql: string, params: unknown[] = []) => {
    let i = 0;
    return db.run(sql.replace(/\?/g, () => db.param(++i)), params);
  };
  return {
    async add(o) {
      const values = [o.id, o.kind, o.ts, o.sessionId, o.user, o.tag?.key ?? null, o.tag?.value ?? null, o.valueMicros.toString(), o.createdAt];
      const res = await run(`INSERT INTO outcomes (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')}) ON CONFLICT (id) DO NOTHING`, values);
      return res.count > 0;
    },
    async get(id) {
      const { rows } = await run('SELECT * FROM outcomes WHERE id = ?', [id]);
      return rows[0] ? fromRecord(rows[0]) : undefined;
    },
    async list(q: OutcomeQuery) {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (clause: string, value: unknown) => {
        where.push(clause);
        params.push(value);
      };
      if (q.since !== undefined) add('ts >= ?', q.since);
      if (q.until !== undefined) add('ts < ?', q.until);
      if (q.kind !== undefined) add('kind = ?', q.kind);
      const limit = q.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(q.limit))}`;
      const { rows } = await run(`SELECT * FROM outcomes${where.length ? ' WHERE ' + where.join(' AND ') : ''} ORDER BY ts, id${limit}`, params);
      return rows.map(fromRecord);
    },
  };
}
