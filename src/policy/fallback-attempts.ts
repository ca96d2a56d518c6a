import { once } from '../core/once.js';
import type { AttemptVerdict, Served } from './admission.js';
import type { Settlement } from './counters/port.js';
import { type Extra, type Holding, type Reserve, moved } from './holding.js';
import { applicableBudgets, applicableRateLimits } from './plan.js';
import type { RuleSet } from './rules.js';
import type { Subject } from './scope.js';
import type { Hold } from './settle-holds.js';
import type { EnforcerDeps } from './enforcer.js';

export const GO: AttemptVerdict = Object.freeze({ ok: true });

/** What the check of an attempt on another model or provider takes from its Enforcer. */
export interface FallbackDeps {
  d: Pick<EnforcerDeps, 'rules'>;
  now: () => number;
  reserve: Reserve;
  stats: { fallbackHolds: number; fallbackRefused: number };
  leases: { add(id: string): void };
  settleHolds: (holds: readonly Hold[], items: Settlement[]) => Promise<void>;
}

/** See Admission.attempt. */
export function attemptCheck(e: FallbackDeps, h: Holding, n: number, model: string, served: Served, pricedAs: string): AttemptVerdict | Promise<AttemptVerdict> {
  if (model === h.admitted.model && served.provider === h.admitted.provider) return GO;
  const key = `${model}\n${served.provider}`;
  const checked = (h.checked ??= new Map<string, AttemptVerdict>());
  const seen = checked.get(key);
  if (seen !== undefined) {
    if (seen.ok) moved(h, n, model, served.provider);
    return seen;
  }
  // A hold that reserved nothing (its model had no price, or a price of 0: a local model) bounds nothing:
  // its budgets are reserved again at this model's price, or a spent budget would pay for any fallback.
  const covered = (h.covered ??= new Set(h.holds.filter((x) => x.r.kind !== 'reserved' || x.r.cost > 0n).flatMap((x) => x.r.planned.counters.map((c) => c.budget.id))));
  const counted = (h.counted ??= new Set(h.holds.flatMap((x) => x.r.planned.plan.rates.map((r) => r.ref))));
  const rules = e.d.rules();
  const subject: Subject = { ...h.req.caller, model, provider: served.provider };
  const all = applicableBudgets(rules, subject);
  const budgets = all.filter((b) => !covered.has(b.id));
  const limits = applicableRateLimits(rules, subject).filter((r) => !counted.has(r.id));
  if (budgets.length === 0 && limits.length === 0) {
    checked.set(key, GO);
    moved(h, n, model, served.provider);
    return GO;
  }
  return extend(e, h, n, key, rules, model, served, { id: `${h.req.id}~${h.holds.length}`, budgets, limits, enforce: all.some((b) => b.enforceMaxTokens), pricedAs });
}

/** Reserves for a fallback model or provider on its own budgets and rate limits, as one more hold of the request. */
async function extend(e: FallbackDeps, h: Holding, n: number, key: string, rules: RuleSet, model: string, served: Served, extra: Extra): Promise<AttemptVerdict> {
  const { id } = extra;
  const got = await e.reserve({ ...h.req, maxOutputTokens: h.cap ?? h.req.maxOutputTokens }, rules, model, served, e.now(), extra);
  if (got.kind === 'refused') {
    e.stats.fallbackRefused++;
    const refused: AttemptVerdict = { ok: false, error: got.error, final: once(got.alert) };
    h.checked!.set(key, refused);
    return refused;
  }
  if (got.kind !== 'free') {
    e.stats.fallbackHolds++;
    h.holds.push({ id, r: got });
    e.leases.add(id);
    // The request ended while this reserve ran (the client left): let the hold go at once.
    if (h.settled) void e.settleHolds([{ id, r: got }], [{ id, actual: 0n, tokens: 0 }]);
  }
  for (const b of extra.budgets) h.covered!.add(b.id);
  for (const r of extra.limits) h.counted!.add(r.id);
  // enforce_max_tokens shortened this model's answer to what its budgets can still pay for.
  const verdict: AttemptVerdict = got.kind === 'reserved' && got.cap !== undefined && got.cap !== h.cap ? { ok: true, capOutputTokens: got.cap } : GO;
  h.checked!.set(key, verdict);
  moved(h, n, model, served.provider);
  return verdict;
}
