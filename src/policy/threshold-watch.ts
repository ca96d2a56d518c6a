import type { Picos } from '../core/money.js';
import type { Caller } from './admission.js';
import { alertPeriod } from './alert-period.js';
import { countedSet } from './counted-set.js';
import type { BudgetCounter } from './plan.js';
import type { Budget } from './rules.js';

/** What the enforcer reports; the app turns these into audited, de-duplicated alerts. */
export interface PolicyEvents {
  /**
   * A budget's spend crossed `percent` of its limit in the window starting at `windowStart`. `resetsAt`,
   * here and in `refused`, is when the window gives back all it counts now (WindowPosition.clearsAt), as
   * the budget's refusals say.
   */
  threshold(b: Budget, percent: number, level: Picos, limit: Picos, windowStart: number, resetsAt: number): void;
  /** `need`: what the refused request could cost (more than `limit` itself: it could never fit). */
  refused(b: Budget, requestId: string, caller: Caller, level: Picos, limit: Picos, windowStart: number, resetsAt: number, need: Picos): void;
  countersDown(mode: 'open' | 'closed', message: string): void;
}

export const noEvents: PolicyEvents = { threshold: () => undefined, refused: () => undefined, countersDown: () => undefined };

/** Raises each threshold once per window and limit in this process (the event sink de-duplicates across replicas). */
export class ThresholdWatch {
  private readonly raised = new Set<string>();
  private readonly events: PolicyEvents;

  constructor(events: PolicyEvents) {
    this.events = events;
  }

  check(c: BudgetCounter, level: Picos): void {
    const limit = c.line.limit;
    if (limit <= 0n) return;
    for (const t of c.budget.thresholds) {
      if (level * 100n < limit * BigInt(t)) continue;
      // Per limit too: an approved increase starts the thresholds again, so its approver hears when the extra is used up.
      // Per counted set: a budget moved to another scope under its id is news again.
      const key = `${c.budget.id}:${countedSet(c.budget)}:${alertPeriod(c.budget.window, c.window.from)}:${limit}:${t}`;
      if (this.raised.has(key)) continue;
      if (this.raised.size > 100_000) this.raised.clear();
      this.raised.add(key);
      this.events.threshold(c.budget, t, level, limit, c.window.from, c.window.clearsAt);
    }
  }
}
