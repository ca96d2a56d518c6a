import type { Picos } from '../core/money.js';
import type { Counters } from './counters/port.js';
import { type BudgetCounter, budgetCounter } from './plan.js';
import type { RuleSet } from './rules.js';
import type { PolicySettings } from './settings.js';

export interface Drift {
  counter: BudgetCounter;
  /** What the counters say has been spent (settled) in the window. */
  counted: Picos;
  /** What the ledger says. */
  ledger: Picos;
  /** counted - ledger. */
  drift: Picos;
  initialized: boolean;
}

/**
 * Compares each budget's settled spend in its current window with the ledger. Drift
 * comes from settlements lost while the counter store was down, or rows replayed from
 * the spool after a crash; `fix` adds the difference to the counters.
 */
export async function reconcile(
  rules: RuleSet,
  counters: Counters,
  fromLedger: (c: BudgetCounter, now: number) => Promise<{ amounts: { amount: Picos }[] }>,
  s: PolicySettings,
  now: number,
  fix = false,
): Promise<Drift[]> {
  const list = rules.budgets.map((b) => budgetCounter(s.keyPrefix, b, rules, now, s.timeZone));
  const read = await counters.read(list.map((c) => c.line));
  const out: Drift[] = [];
  for (const [i, c] of list.entries()) {
    const init = await fromLedger(c, now);
    const ledger = init.amounts.reduce((sum, a) => sum + a.amount, 0n);
    const counted = read[i]!.spent;
    const drift = counted - ledger;
    if (fix && drift !== 0n && read[i]!.initialized) await counters.adjust(c.line, -drift);
    out.push({ counter: c, counted, ledger, drift, initialized: read[i]!.initialized });
  }
  return out;
}
