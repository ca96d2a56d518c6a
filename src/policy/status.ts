import type { Picos } from '../core/money.js';
import type { Counters } from './counters/port.js';
import { type BudgetCounter, budgetCounter } from './plan.js';
import type { Budget, RuleSet } from './rules.js';
import { type Subject, formatScope, scopeMatches } from './scope.js';
import type { PolicySettings } from './settings.js';
import { formatWindow } from './window.js';

export interface BudgetStatus {
  budget: Budget;
  scope: string;
  window: string;
  /** Whether it applies to every request of this caller, or only to some (tag, model or provider budgets). */
  applies: 'always' | 'conditional';
  limitPicos: Picos;
  spentPicos: Picos;
  /** Reserved by requests in flight. */
  heldPicos: Picos;
  remainingPicos: Picos;
  windowStart: number;
  /** When all the window counts now has left it (WindowPosition.clearsAt): a refusal's `resets_at` and x-tollgate-budget-remaining's `resets`. */
  resetsAt: number;
}

/**
 * A budget's status from its counter and what the counters read for it: what `/me` and
 * `/admin/v1/budgets/status` both show. A rolling window resets as its refusals say it does,
 * when the spend it counts now has aged out, not when its oldest bucket leaves it.
 */
export function counterStatus(c: BudgetCounter, read: { spent: Picos; held: Picos }): Omit<BudgetStatus, 'applies'> {
  const { spent, held } = read;
  return {
    budget: c.budget,
    scope: formatScope(c.budget.scope),
    window: formatWindow(c.budget.window),
    limitPicos: c.line.limit,
    spentPicos: spent,
    heldPicos: held,
    remainingPicos: c.line.limit - spent - held,
    windowStart: c.window.from,
    resetsAt: c.window.clearsAt,
  };
}

export type Identity = Omit<Subject, 'model' | 'provider'>;

/**
 * The budgets that bear on a caller, with spend and resets. Budgets on a tag, model or
 * provider are listed as conditional: they apply only to some of the caller's requests.
 */
export async function budgetStatus(rules: RuleSet, who: Identity, counters: Counters, s: PolicySettings, now: number): Promise<BudgetStatus[]> {
  const probe: Subject = { ...who, model: '', provider: '' };
  const relevant: { c: BudgetCounter; applies: 'always' | 'conditional' }[] = [];
  for (const b of rules.budgets) {
    const conditional = b.scope.kind === 'tag' || b.scope.kind === 'model' || b.scope.kind === 'provider';
    const pooledFor = b.kind === 'pool' && rules.budgets.some((m) => m.pool === b.id && scopeMatches(m.scope, probe));
    if (!conditional && !scopeMatches(b.scope, probe) && !pooledFor) continue;
    if (conditional && b.scope.kind === 'tag' && !scopeMatches(b.scope, probe)) continue;
    relevant.push({ c: budgetCounter(s.keyPrefix, b, rules, now, s.timeZone), applies: conditional ? 'conditional' : 'always' });
  }
  const read = await counters.read(relevant.map((r) => r.c.line));
  return relevant.map(({ c, applies }, i) => ({ ...counterStatus(c, read[i]!), applies }));
}
