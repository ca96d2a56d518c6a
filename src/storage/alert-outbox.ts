import type { AlertOutbox, OutboxEntry } from '../alerts/outbox.js';
import type { PolicySql } from './policy-store.js';

type Row = Record<string, unknown>;

const fromRecord = (r: Row): OutboxEntry => ({ id: String(r.id), target: String(r.target), body: String(r.body), createdAt: Number(r.created_at), tries: Number(r.tries) });

/** The alert outbox on SQLite and Postgres: the same SQL, numbered for the engine. */
export function sqlAlertOutbox(db: PolicySql): AlertOutbox {
  const run = (sql: string, params: unknown[]) => {
    let i = 0;
    return db.run(sql.replace(/\?/g, () => db.param(++i)), params);
  };
  return {
    async add(e, owner, leaseUntil) {
      await run(
        'INSERT INTO alert_outbox (id, target, body, created_at, next_at, tries, lease_owner, lease_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
        [e.id, e.target, e.body, e.createdAt, e.createdAt, e.tries, owner, leaseUntil],
      );
    },
    async claimDue(targets, owner, now, leaseUntil, limit) {
      if (targets.length === 0 || limit <= 0) return [];
      const among = targets.map(() => '?').join(', ');
      // The lease is tested again outside the subquery: on Postgres a concurrent claim of the same
      // entry waits for the first, then sees its lease and leaves the entry to it.
      const { rows } = await run(
        `UPDATE alert_outbox SET lease_owner = ?, lease_until = ? WHERE lease_until <= ? AND id IN ` +
          `(SELECT id FROM alert_outbox WHERE target IN (${among}) AND next_at <= ? AND lease_until <= ? ORDER BY created_at, id LIMIT ${Math.floor(limit)}) ` +
          'RETURNING id, target, body, created_at, tries',
        [owner, leaseUntil, now, ...targets, now, now],
      );
      return rows.map(fromRecord).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
    },
    async renew(id, owner, now, leaseUntil) {
      const { count } = await run('UPDATE alert_outbox SET lease_owner = ?, lease_until = ? WHERE id = ? AND (lease_owner = ? OR lease_until <= ?)', [owner, leaseUntil, id, owner, now]);
      return count > 0;
    },
    async remove(id) {
      await run('DELETE FROM alert_outbox WHERE id = ?', [id]);
    },
    async later(id, tries, nextAt, lastError) {
      await run('UPDATE alert_outbox SET tries = ?, next_at = ?, last_error = ?, lease_owner = NULL, lease_until = 0 WHERE id = ?', [tries, nextAt, lastError.slice(0, 500), id]);
    },
    async purge(before) {
      return (await run('DELETE FROM alert_outbox WHERE created_at < ?', [before])).count;
    },
  };
}
