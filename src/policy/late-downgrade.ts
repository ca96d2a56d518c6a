import type { Picos } from '../core/money.js';
import type { Served } from './admission.js';
import type { Reserved } from './holding.js';
import { type BudgetCounter, applicableBudgets, applicableRateLimits, downgradeUnderPressure } from './plan.js';
import type { RuleSet } from './rules.js';
import { type Subject, scopeMatches } from './scope.js';

/**
 * Each spend line of a reservation with its level before this request, and whether the request
 * was charged to it: a budget the request did not fit, whose pool paid instead, holds none of it.
 */
export function levelsBefore(r: Reserved): { c: BudgetCounter; level: Picos; charged: boolean }[] {
  const out: { c: BudgetCounter; level: Picos; charged: boolean }[] = [];
  // Counters are laid out group by group: its budgets, then its pool (see planReservation).
  let i = 0;
  const add = (charged: boolean) => {
    const level = r.outcome.levels[i];
    if (level !== undefined) out.push({ c: r.planned.counters[i]!, level: charged ? level - r.cost : level, charged });
    i++;
  };
  r.planned.plan.groups.forEach((g, gi) => {
    const pooled = r.outcome.pooled[gi] === true;
    for (let k = 0; k < g.lines.length; k++) add(!pooled);
    if (g.pool) add(pooled);
  });
  return out;
}

/**
 * The downgrade a reservation's own levels call for when the levels this process had seen did
 * not (another replica's spend, or none seen yet since it started): the target, when it serves
 * the request for less and the same budgets, pools and rate limits apply to it, so that the
 * reservation made for the model asked for holds it as it stands (at an estimate no lower than the
 * target's). Null otherwise: the request goes as asked, as before.
 */
export function lateDowngrade(rules: RuleSet, subject: Subject, r: Reserved, judge: { usable: (to: string) => boolean; served(to: string): Served | undefined }): string | null {
  const seen = new Map(levelsBefore(r).map((x) => [x.c.budget.id, { level: x.level, limit: x.c.line.limit }]));
  const to = downgradeUnderPressure(rules, subject, seen, judge.usable);
  const served = to ? judge.served(to) : undefined;
  return to && served && rulesKey(rules, subject) === rulesKey(rules, { ...subject, model: to, provider: served.provider }) ? to : null;
}

/** Which budgets (with the pool each draws on) and rate limits apply to a subject. */
function rulesKey(rules: RuleSet, s: Subject): string {
  const pool = (id: string | null) => (id && rules.budgets.some((p) => p.kind === 'pool' && p.id === id && scopeMatches(p.scope, s)) ? id : '');
  return [...applicableBudgets(rules, s).map((b) => `${b.id}>${pool(b.pool)}`), ...applicableRateLimits(rules, s).map((l) => l.id)].join('\n');
}
