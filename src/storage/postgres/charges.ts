import type pg from 'pg';
import type { LedgerRow } from '../../core/ledger-row.js';
import { type BudgetCharge, CHARGE_HORIZON_MS, chargeFromJson, chargeRecords } from '../budget-charges.js';

type Run = (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

/** Writes the charges of one import's write, in its transaction (see budget-charges.ts). */
export async function writeCharges(c: pg.PoolClient, added: readonly LedgerRow[], removed: readonly LedgerRow[]): Promise<void> {
  const now = Date.now();
  // Charges no gateway took (none running, or none with budgets) go once no window can hold them.
  await c.query('DELETE FROM budget_charges WHERE ts < $1', [now - CHARGE_HORIZON_MS]);
  const records = chargeRecords(added, removed, now);
  for (let i = 0; i < records.length; i += 10_000) {
    const chunk = records.slice(i, i + 10_000);
    await c.query('INSERT INTO budget_charges (id, ts, spend) SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[])', [chunk.map((r) => r[0]), chunk.map((r) => r[1]), chunk.map((r) => r[2])]);
  }
}

/** `takeCharges` and `pendingCharges`: a charge another replica is taking is skipped, so each is taken once. */
export function chargeQueue(run: Run): { takeCharges(limit: number): Promise<BudgetCharge[]>; pendingCharges(): Promise<BudgetCharge[]>; budgetsStored(): Promise<boolean> } {
  return {
    async takeCharges(limit) {
      const rows = await run('DELETE FROM budget_charges WHERE id IN (SELECT id FROM budget_charges LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING spend', [limit]);
      return rows.map((r) => chargeFromJson(String(r.spend)));
    },
    async budgetsStored() {
      return (await run('SELECT EXISTS (SELECT 1 FROM budgets) AS b', []))[0]?.b === true;
    },
    async pendingCharges() {
      return (await run('SELECT spend FROM budget_charges', [])).map((r) => chargeFromJson(String(r.spend)));
    },
  };
}
