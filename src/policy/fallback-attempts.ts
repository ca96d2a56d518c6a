import { once } from '../core/once.js';
import type { AttemptVerdict, Served } from './admission.js';
import type { Settlement } from './counters/port.js';
import type { Picos } from '../core/money.js';
import { type Extra, type Holding, type Reserve, type ReserveRequest, moved } from './holding.js';
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
  /** What `reserve` would hold for the request at this model and provider (Enforcer's estimate and price, dearest server-side fallback included). */
  costAt: (req: ReserveRequest, model: string, served: Served, pricedAs: string) => Picos;
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
  const covered = (h.covered ??= heldOn(h.holds));
  const counted = (h.counted ??= new Set(h.holds.flatMap((x) => x.r.planned.plan.rates.map((r) => r.ref))));
  const rules = e.d.rules();
  const subject: Subject = { ...h.req.caller, model, provider: served.provider };
  const all = applicableBudgets(rules, subject);
  const req = capped(h);
  // A budget is covered only by a hold of at least what this attempt may cost: one held at a cheaper
  // model's estimate (or at nothing: an unpriced or local model) is reserved again at this one's,
  // or a fallback to a dearer model could pass its limit. Priced once per model and provider, when some hold is on its budgets.
  let need: Picos | undefined;
  const budgets = all.filter((b) => {
    const held = covered.get(b.id);
    if (held === undefined) return true;
    if (held === null) return false;
    need ??= e.costAt(req, model, served, pricedAs);
    return held < need;
  });
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
  const got = await e.reserve(capped(h), rules, model, served, e.now(), extra);
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
  for (const b of extra.budgets) cover(h.covered!, b.id, got.kind === 'reserved' ? got.cost : null);
  for (const r of extra.limits) h.counted!.add(r.id);
  // enforce_max_tokens shortened this model's answer to what its budgets can still pay for.
  const verdict: AttemptVerdict = got.kind === 'reserved' && got.cap !== undefined && got.cap !== h.cap ? { ok: true, capOutputTokens: got.cap } : GO;
  h.checked!.set(key, verdict);
  moved(h, n, model, served.provider);
  return verdict;
}

/** A fallback's body keeps admission's output cap, and so does its estimate. */
function capped(h: Holding): ReserveRequest {
  return h.cap === undefined ? h.req : { ...h.req, maxOutputTokens: h.cap };
}

/** Per budget, the most a hold reserved on it; null when a hold was made while the counters were down (what it holds is unknown). */
function heldOn(holds: Holding['holds']): Map<string, Picos | null> {
  const out = new Map<string, Picos | null>();
  for (const x of holds) for (const c of x.r.planned.counters) cover(out, c.budget.id, x.r.kind === 'reserved' ? x.r.cost : null);
  return out;
}

function cover(m: Map<string, Picos | null>, id: string, cost: Picos | null): void {
  const was = m.get(id);
  if (was === null) return;
  m.set(id, cost === null || was === undefined || cost > was ? cost : was);
}
