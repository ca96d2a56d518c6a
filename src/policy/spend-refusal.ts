import type { Picos } from '../core/money.js';
import type { Caller } from './admission.js';
import type { ReserveOutcome } from './counters/port.js';
import { type CostedEstimate, type Estimate, type PriceContext, toolFeeUsesAt } from './estimate.js';
import type { Refused } from './holding.js';
import type { Planned } from './plan.js';
import { type Disclosure, type NeedParts, budgetExceeded } from './refusal.js';
import type { RuleSet } from './rules.js';
import type { PolicyEvents } from './threshold-watch.js';

export interface SpendRefusal {
  rules: RuleSet;
  outcome: Extract<ReserveOutcome, { reason: 'spend' }>;
  planned: Planned;
  request: { id: string; caller: Caller };
  /** What the request (or batch) could cost, and its parts for saying what is large (none for a batch). */
  cost: Picos;
  parts: NeedParts | undefined;
  of: 'request' | 'batch';
  now: number;
  disclosure: Disclosure;
  events: PolicyEvents;
}

/**
 * The refusal of a reservation a budget had no room for. When that budget's pool had no room
 * either, the pool is what refused: the message, its details and the alert name the pool (and the
 * budget that draws on it), with the pool's spend and reset. A downgrade stays the budget's own.
 */
export function spendRefusal(o: SpendRefusal): Pick<Refused, 'error' | 'alert' | 'downgradeTo'> {
  const { rules, outcome, now } = o;
  const budget = rules.budgets.find((b) => b.id === outcome.ref)!;
  const pool = outcome.pool && rules.budgets.find((b) => b.id === outcome.pool!.ref);
  const by = pool ?? budget;
  const { level, limit } = pool ? outcome.pool! : outcome;
  const counter = o.planned.counters.find((c) => c.budget.id === by.id);
  const resetsAt = counter?.window.clearsAt ?? now;
  const alert = () => o.events.refused(by, o.request.id, o.request.caller, level, limit, counter?.window.from ?? now, resetsAt, o.cost);
  const error = budgetExceeded(by, level, limit, o.cost, resetsAt, o.disclosure, o.of, o.parts, pool ? budget : undefined);
  return { error, alert, downgradeTo: budget.downgrade?.to ?? null };
}

/**
 * A request's estimate as its refusal tells what in it is large: what its input alone may cost (its
 * tools' fee allowance apart), and how many of its tools' uses were counted at that allowance at `pc`.
 */
export function needParts(estimate: Estimate, pc: PriceContext, costOf: (e: CostedEstimate, pc: PriceContext) => Picos): NeedParts {
  return { ...estimate, inputCost: costOf({ ...estimate, outputTokens: 0, toolFee: undefined }, pc), feeAllowanceUses: toolFeeUsesAt(estimate, pc) };
}
