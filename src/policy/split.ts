import type { Picos } from '../core/money.js';
import { type Scope, type Subject, scopeMatches } from './scope.js';

/** One upstream attempt as budgets see it: the model and provider it went to, and what it cost. */
export interface AttemptCharge {
  model: string;
  provider: string;
  costPicos: Picos | null;
}

/** A spend line a reservation charged. */
export interface HeldLine {
  ref: string;
  scope: Scope;
  /** Set for a pool that paid for a group: it pays only for attempts some member's scope covers. */
  members?: readonly Scope[];
}

/**
 * Splits a request's actual cost between its reservations (the one made at admission,
 * then one per fallback model or provider with budgets of its own). Each line is owed the
 * cost of the attempts within its scope; a line several reservations charged (a shared
 * pool) is owed it once, by the first, and nothing by the others. Returns, per
 * reservation, each charged line's actual.
 */
export function splitCost(caller: Omit<Subject, 'model' | 'provider'>, reservations: readonly (readonly HeldLine[])[], attempts: readonly AttemptCharge[]): Map<string, Picos>[] {
  const subjects = attempts.map((a) => ({ s: { ...caller, model: a.model, provider: a.provider }, cost: a.costPicos ?? 0n }));
  const owed = new Map<string, { scope: Scope; members: Scope[] | null }>();
  for (const lines of reservations) {
    for (const l of lines) {
      const o = owed.get(l.ref);
      if (!o) owed.set(l.ref, { scope: l.scope, members: l.members ? [...l.members] : null });
      else if (l.members) o.members = [...(o.members ?? []), ...l.members];
    }
  }
  const totals = new Map<string, Picos>();
  for (const [ref, o] of owed) {
    let sum = 0n;
    for (const { s, cost } of subjects) {
      if (scopeMatches(o.scope, s) && (o.members === null || o.members.some((m) => scopeMatches(m, s)))) sum += cost;
    }
    totals.set(ref, sum);
  }
  const paid = new Set<string>();
  return reservations.map((lines) => {
    const out = new Map<string, Picos>();
    for (const l of lines) {
      out.set(l.ref, paid.has(l.ref) ? 0n : totals.get(l.ref)!);
      paid.add(l.ref);
    }
    return out;
  });
}
