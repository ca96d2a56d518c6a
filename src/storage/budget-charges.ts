import { randomUUID } from 'node:crypto';
import type { LedgerRow } from '../core/ledger-row.js';
import type { Picos } from '../core/money.js';

/**
 * Spend an import wrote into the ledger (or took out of it, replacing a row), waiting in the
 * table `budget_charges` for a gateway to add it to its budget counters (docs/budgets.md,
 * "Imported spend"). Written in the transaction that changed the rows, so that a row replaced
 * by a later import is charged its difference, with the attribution each version had.
 */
export interface BudgetCharge {
  /** The ledger row's id. */
  id: string;
  ts: number;
  keyId: string | null;
  user: string | null;
  team: string | null;
  project: string | null;
  tags: Record<string, string>;
  model: string;
  provider: string;
  pool: string | null;
  /** Negative for a row taken out. */
  costPicos: Picos;
}

/** A write that asks for its spend to be charged to budgets (imports: the gateway settles its own traffic). */
export interface ChargeOption {
  charge?: boolean;
}

/** No budget window reaches further back than this (a quarter; rolling windows are at most 90 days): older rows are charged to none. */
export const CHARGE_HORIZON_MS = 93 * 86_400_000;

/** The `budget_charges` rows (key, ts, JSON) for rows added and removed by one write. */
export function chargeRecords(added: readonly LedgerRow[], removed: readonly LedgerRow[], now: number): [string, number, string][] {
  const out: [string, number, string][] = [];
  const push = (r: LedgerRow, sign: bigint) => {
    if (!r.costPicos || r.ts < now - CHARGE_HORIZON_MS) return;
    const c: Omit<BudgetCharge, 'costPicos'> & { cost: string } = {
      id: r.id,
      ts: r.ts,
      keyId: r.keyId,
      user: r.user,
      team: r.team,
      project: r.project,
      tags: r.tags,
      model: r.model,
      provider: r.provider,
      pool: r.pool,
      cost: String(sign * r.costPicos),
    };
    out.push([randomUUID(), r.ts, JSON.stringify(c)]);
  };
  for (const r of removed) push(r, -1n);
  for (const r of added) push(r, 1n);
  return out;
}

export function chargeFromJson(text: string): BudgetCharge {
  const { cost, ...rest } = JSON.parse(text) as Omit<BudgetCharge, 'costPicos'> & { cost: string };
  return { ...rest, costPicos: BigInt(cost) };
}
