import type pg from 'pg';
import { keyFromRecord } from '../key-record.js';
import type { KeyStore, NewKey } from '../ports.js';

type Row = Record<string, unknown>;

/** Virtual keys in Postgres. */
export function pgKeys(pool: pg.Pool): KeyStore {
  const one = async (sql: string, params: unknown[]) => {
    const { rows } = await pool.query<Row>(sql, params);
    return rows[0] ? keyFromRecord(rows[0]) : undefined;
  };
  return {
    async create(k: NewKey) {
      const rec = await one('INSERT INTO api_keys (id, hash, prefix, user_name, team, project, name, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *', [
        k.id, k.hash, k.prefix, k.user, k.team, k.project, k.name, k.createdAt, k.expiresAt ?? null,
      ]);
      return rec!;
    },
    async list(opts) {
      const { rows } = await pool.query<Row>(`SELECT * FROM api_keys${opts?.includeRevoked ? '' : ' WHERE revoked_at IS NULL'} ORDER BY created_at, id`);
      return rows.map(keyFromRecord);
    },
    revoke: (id, at) => one('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 RETURNING *', [at, id]),
    findByHash: (hash) => one('SELECT * FROM api_keys WHERE hash = $1', [hash]),
  };
}
