import { type Picos, formatUsd } from '../core/money.js';
import type { Reserved } from './holding.js';
import { levelsBefore } from './late-downgrade.js';
import type { BudgetCounter } from './plan.js';
import { formatScope } from './scope.js';
import { formatWindow } from './window.js';

/**
 * `x-tollgate-budget-remaining`: the tightest budget's room before this request (or batch),
 * over every reservation it holds, as USD, or a percentage when amounts are hidden. A budget
 * the request did not fit draws on its pool, which paid instead: that pool's room counts for
 * it. Pure.
 */
export function remainingHeader(reserved: readonly Reserved[], showAmounts: boolean): string | undefined {
  let best: { room: Picos; c: BudgetCounter } | undefined;
  for (const r of reserved) {
    for (const { c, level, charged } of levelsBefore(r)) {
      const room = c.line.limit - level;
      if (charged && (!best || room < best.room)) best = { room, c };
    }
  }
  if (!best) return undefined;
  const { room, c } = best;
  const shown = showAmounts ? formatUsd(room < 0n ? 0n : room, 6) : `${c.line.limit > 0n ? Number(((room < 0n ? 0n : room) * 100n) / c.line.limit) : 0}%`;
  return `${shown}; scope=${formatScope(c.budget.scope)}; window=${formatWindow(c.budget.window)}; resets=${new Date(c.window.clearsAt).toISOString()}`;
}
