import { type Picos, formatUsd } from '../core/money.js';
import type { Reserved } from './holding.js';
import type { BudgetCounter } from './plan.js';
import { formatScope } from './scope.js';
import { formatWindow } from './window.js';

/**
 * `x-tollgate-budget-remaining`: the tightest budget's room before this request (or batch),
 * over every reservation it holds, as USD, or a percentage when amounts are hidden. Pure.
 */
export function remainingHeader(reserved: readonly Reserved[], showAmounts: boolean): string | undefined {
  let best: { room: Picos; c: BudgetCounter } | undefined;
  for (const r of reserved) {
    r.planned.counters.forEach((c, i) => {
      const level = r.outcome.levels[i];
      if (level === undefined || (c.budget.kind === 'pool' && !r.outcome.pooled.some(Boolean))) return;
      const room = c.line.limit - (level - r.cost);
      if (!best || room < best.room) best = { room, c };
    });
  }
  if (!best) return undefined;
  const { room, c } = best;
  const shown = showAmounts ? formatUsd(room < 0n ? 0n : room, 6) : `${c.line.limit > 0n ? Number(((room < 0n ? 0n : room) * 100n) / c.line.limit) : 0}%`;
  return `${shown}; scope=${formatScope(c.budget.scope)}; window=${formatWindow(c.budget.window)}; resets=${new Date(c.window.end).toISOString()}`;
}
