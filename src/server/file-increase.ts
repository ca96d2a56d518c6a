import type { Picos } from '../core/money.js';
import type { IncreaseService } from '../policy/increases.js';
import { type Budget, type Increase, increaseApplies } from '../policy/rules.js';
import { type Scope, formatScope, sameScope } from '../policy/scope.js';

export interface IncreaseFiling {
  scope?: Scope;
  budget_id?: string;
  amount_usd: Picos;
  hours: number;
  reason: string;
  requestedBy: string;
}

/**
 * Files an increase request. With `budget_id` it raises that budget only, and the scope
 * defaults to the budget's; `budgets` are the rules in force (config and stored).
 */
export async function fileIncrease(increases: IncreaseService, budgets: readonly Budget[], f: IncreaseFiling): Promise<Increase> {
  let scope = f.scope;
  if (f.budget_id !== undefined) {
    const b = budgets.find((x) => x.id === f.budget_id);
    if (!b) throw new RangeError(`budget_id: there is no budget or pool ${f.budget_id}`);
    // The approver reads the scope: one that is not the budget's would show one thing and raise another.
    if (scope && !sameScope(scope, b.scope)) throw new RangeError(`scope: ${formatScope(scope)} is not the scope of ${f.budget_id} (${formatScope(b.scope)}); leave it out, or name a budget on ${formatScope(scope)}`);
    scope ??= b.scope;
  }
  if (!scope) throw new RangeError('scope: is required (or name a budget_id)');
  // Approved, it would raise nothing: an approver would consent to a limit that does not exist.
  const target = { scope, budgetId: f.budget_id ?? null };
  if (!budgets.some((b) => increaseApplies(target, b))) throw new RangeError(`scope: there is no budget or pool on ${formatScope(scope)} to raise (set one first, or name a budget_id)`);
  return increases.request({ scope, budgetId: f.budget_id ?? null, amountPicos: f.amount_usd, hours: f.hours, reason: f.reason, requestedBy: f.requestedBy });
}
