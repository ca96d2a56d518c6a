import type { LedgerRow } from '../core/ledger-row.js';
import type { Picos } from '../core/money.js';
import type { Caller } from './admission.js';
import type { Counters } from './counters/port.js';
import { type BudgetCounter, applicableBudgets, planReservation } from './plan.js';
import type { RuleSet } from './rules.js';
import type { Subject } from './scope.js';
import type { PolicySettings } from './settings.js';

/**
 * Spend the ledger learned after its request ended, with no reservation to settle: a background
 * response's usage, known once it is looked up finished (src/metering/background-usage.ts).
 */
export interface SettledSpend {
  /** The request that made the spend (its ledger row). */
  id: string;
  /** When that request arrived: the spend counts in the windows its row falls in, as the ledger's rollups count it. */
  ts: number;
  caller: Caller;
  model: string;
  provider: string;
  /** The spend pool that paid for the request, if any: it is charged in place of its members. */
  pool: string | null;
  cost: Picos;
}

/** The settled spend of a ledger row: `cost` charged to the budgets its caller, model and provider fall under. */
export function settledSpendOf(row: LedgerRow, cost: Picos): SettledSpend {
  const caller = { keyId: row.keyId, user: row.user, team: row.team, project: row.project, tags: row.tags };
  return { id: row.id, ts: row.ts, caller, model: row.model, provider: row.provider, pool: row.pool, cost };
}

/** A budget charged with settled spend, and its level (spent and held) after. */
export interface Charged {
  counter: BudgetCounter;
  level: Picos;
}

/**
 * The budget counters settled spend goes to, in the bucket of its time: the lines a reservation
 * would have held, a pool in place of its group when the pool paid.
 */
export function chargedCounters(rules: RuleSet, s: PolicySettings, spend: SettledSpend): BudgetCounter[] {
  const subject: Subject = { ...spend.caller, model: spend.model, provider: spend.provider };
  const budgets = applicableBudgets(rules, subject);
  if (budgets.length === 0) return [];
  const ctx = { rules, subject, now: spend.ts, timeZone: s.timeZone, prefix: s.keyPrefix };
  const planned = planReservation(ctx, spend.id, spend.cost < 0n ? -spend.cost : spend.cost, 0, s.leaseMs, budgets, []);
  // `planned.counters` lists each group's lines, then its pool.
  const charged: BudgetCounter[] = [];
  let k = 0;
  planned.plan.groups.forEach((g, i) => {
    const members = planned.counters.slice(k, k + g.lines.length);
    const pool = g.pool ? planned.counters[k + g.lines.length]! : undefined;
    k += g.lines.length + (g.pool ? 1 : 0);
    if (pool && planned.pools[i]?.id === spend.pool) charged.push(pool);
    else charged.push(...members);
  });
  return charged;
}

/**
 * Adds settled spend (negative: spend an import took back, replacing a row) to every budget
 * whose scope matches the request (chargedCounters). A counter not yet initialised is left
 * alone: it is filled from the ledger, which has the spend already (the row is committed
 * before this runs).
 */
export async function chargeSettledSpend(rules: RuleSet, counters: Counters, s: PolicySettings, spend: SettledSpend): Promise<Charged[]> {
  if (spend.cost === 0n) return [];
  const charged = chargedCounters(rules, s, spend);
  if (charged.length === 0) return [];
  const read = await counters.read(charged.map((c) => c.line));
  const out: Charged[] = [];
  for (const [i, c] of charged.entries()) {
    const r = read[i]!;
    if (!r.initialized) continue;
    await counters.adjust(c.line, spend.cost);
    out.push({ counter: c, level: r.spent + r.held + spend.cost });
  }
  return out;
}
