import { type Picos, formatUsd } from '../core/money.js';
import type { Reserved } from './holding.js';
import type { BudgetCounter } from './plan.js';
import { formatScope } from './scope.js';
import { formatWindow } from './window.js';

/**
 * `x-tollgate-budget-remaining`: the tightest budget's room before this request (or batch),
 * over every reservation it holds, as USD, or a percentage when amounts are hidden. A budget
 * the request did not fit draws on its pool, which paid instead: that pool's room counts for
 * it (the budget's own level holds nothing of this request). Pure.
 */
export function remainingHeader(reserved: readonly Reserved[], showAmounts: boolean): string | undefined {
  let best: { room: Picos; c: BudgetCounter } | undefined;
  const consider = (c: BudgetCounter, level: Picos | undefined, cost: Picos) => {
    if (level === undefined) return;
    const room = c.line.limit - (level - cost);
    if (!best || room < best.room) best = { room, c };
  };
  for (const r of reserved) {
    // Counters are laid out group by group: its budgets, then its pool (see planReservation).
    let i = 0;
    r.planned.plan.groups.forEach((g, gi) => {
      const pooled = r.outcome.pooled[gi] === true;
      for (let k = 0; k < g.lines.length; k++, i++) if (!pooled) consider(r.planned.counters[i]!, r.outcome.levels[i], r.cost);
      if (g.pool) {
        if (pooled) consider(r.planned.counters[i]!, r.outcome.levels[i], r.cost);
        i++;
      }
    });
  }
  if (!best) return undefined;
  const { room, c } = best;
  const shown = showAmounts ? formatUsd(room < 0n ? 0n : room, 6) : `${c.line.limit > 0n ? Number(((room < 0n ? 0n : room) * 100n) / c.line.limit) : 0}%`;
  return `${shown}; scope=${formatScope(c.budget.scope)}; window=${formatWindow(c.budget.window)}; resets=${new Date(c.window.end).toISOString()}`;
}
