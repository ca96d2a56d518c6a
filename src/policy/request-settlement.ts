import type { Picos } from '../core/money.js';
import type { AttemptCost, Caller } from './admission.js';
import { countedSet } from './counted-set.js';
import type { LateCharge, Settlement } from './counters/port.js';
import { type Holding, heldLines } from './holding.js';
import { type BudgetCounter, type Planned, applicableBudgets, budgetCounter } from './plan.js';
import type { Budget, RuleSet } from './rules.js';
import { scopeMatches } from './scope.js';
import type { Hold } from './settle-holds.js';
import type { PolicySettings } from './settings.js';
import { type AttemptCharge, splitCost } from './split.js';
import { formatWindow } from './window.js';

/** What a request's settlement knows of it, to find the budgets made while it ran. */
export interface Settling {
  caller: Caller;
  /** When it was admitted: the windows its reservations were made in, and its ledger row's time. */
  at: number;
  /** Its reservations' plans (none when it holds none). */
  planned: readonly Planned[];
  /** The pool that paid for it, as its ledger row says: a budget drawing on that pool leaves this spend to the pool. */
  pool: string | null;
}

const counters = new WeakMap<Budget, string>();

/** A budget's counter up to its window's start: the same counter for as long as the budget counts the same rows, over the same kind of window. */
function counterOf(b: Budget): string {
  let key = counters.get(b);
  if (key === undefined) {
    key = `${b.id}\u0000${countedSet(b)}\u0000${formatWindow(b.window)}`;
    counters.set(b, key);
  }
  return key;
}

function heldCounters(planned: readonly Planned[]): Set<string> {
  const held = new Set<string>();
  for (const p of planned) for (const c of p.counters) held.add(counterOf(c.budget));
  return held;
}

/**
 * The budgets that cover a request when it ends but that none of its reservations planned for:
 * made while it ran (or set again under their id with another scope, pool or window, which starts
 * another counter), each with the cost of the request's attempts within its scope, in the window
 * of the request's admission. A budget its reservations planned for is settled by them (whether it
 * or its pool paid), so it is never here: nothing is counted twice. One drawing on the pool that paid
 * for the request leaves the spend to the pool, as the ledger counts it (ledger-spend.ts).
 */
export function lateCharges(rules: RuleSet, s: Pick<PolicySettings, 'keyPrefix' | 'timeZone'>, r: Settling, charges: readonly AttemptCharge[]): { counter: BudgetCounter; charge: LateCharge }[] {
  if (rules.budgets.length === 0) return [];
  const out: { counter: BudgetCounter; charge: LateCharge }[] = [];
  let held: Set<string> | undefined;
  const c = r.caller;
  // Written out: a spread of the caller makes a slow dictionary object of each subject.
  const subjects = charges.map((a) => ({ s: { keyId: c.keyId, user: c.user, team: c.team, project: c.project, tags: c.tags, model: a.model, provider: a.provider }, cost: a.costPicos ?? 0n }));
  const seen = new Set<Budget>();
  for (const { s: subject } of subjects) {
    for (const b of applicableBudgets(rules, subject)) {
      if (seen.has(b)) continue;
      seen.add(b);
      held ??= heldCounters(r.planned);
      if (held.has(counterOf(b)) || (b.pool !== null && b.pool === r.pool)) continue;
      let amount = 0n;
      for (const x of subjects) if (scopeMatches(b.scope, x.s)) amount += x.cost;
      if (amount === 0n) continue;
      const counter = budgetCounter(s.keyPrefix, b, rules, r.at, s.timeZone);
      out.push({ counter, charge: { line: counter.line, amount } });
    }
  }
  return out;
}

/**
 * What settles a request: each hold replaced by the actual cost (with attempts only where admitted,
 * the common case, the one reservation settled to the total; otherwise the total split by attempt),
 * and the budgets made while it ran charged with the first hold's settlement, or on their own,
 * once, when it holds none. Undefined when there is nothing to settle.
 */
export function settlementOf(h: Holding, cost: Picos, tokens: number, attempts: readonly AttemptCost[] | undefined, rules: RuleSet, s: PolicySettings, now: number): { holds: Hold[]; items: Settlement[] } | undefined {
  const { model, provider } = h.admitted;
  const charges = h.moved !== null && attempts && attempts.length > 0 ? attempts.map((a) => ({ ...(h.moved?.get(a.n) ?? h.admitted), costPicos: a.costPicos })) : [{ model, provider, costPicos: cost }];
  const late = lateCharges(rules, s, { caller: h.req.caller, at: h.at, planned: h.holds.map((x) => x.r.planned), pool: h.pool }, charges);
  if (h.holds.length === 0) {
    if (late.length === 0) return undefined;
    // Kept while the counters do not answer for a lease from now: a long request may have run longer than one.
    const holds: Hold[] = [{ id: h.req.id, r: { kind: 'unheld', until: now + s.leaseMs }, late: late.map((l) => l.counter) }];
    return { holds, items: [{ id: h.req.id, actual: 0n, tokens: 0, late: late.map((l) => l.charge), unreserved: { guardMs: s.leaseMs } }] };
  }
  let items: Settlement[];
  if (h.moved === null && h.holds.length === 1) items = [{ id: h.holds[0]!.id, actual: cost, tokens }];
  else {
    const splits = splitCost(h.req.caller, h.holds.map((x) => heldLines(x.r)), charges);
    // Every hold's rate limits count the request's tokens, as admission's do.
    items = h.holds.map((x, i) => ({ id: x.id, actual: cost, tokens, split: splits[i] }));
  }
  if (late.length === 0) return { holds: h.holds, items };
  // With the first hold's settlement, in the same step: charged only if that settlement ends its reservation.
  items[0] = { ...items[0]!, late: late.map((l) => l.charge) };
  return { holds: [{ ...h.holds[0]!, late: late.map((l) => l.counter) }, ...h.holds.slice(1)], items };
}
