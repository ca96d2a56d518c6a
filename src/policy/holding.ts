import type { GatewayError } from '../core/errors.js';
import type { Picos } from '../core/money.js';
import type { AdmitRequest, AttemptVerdict, Served } from './admission.js';
import type { ReserveOutcome } from './counters/port.js';
import type { Estimate } from './estimate.js';
import type { Planned } from './plan.js';
import type { Budget, RateLimit, RuleSet } from './rules.js';
import type { HeldLine } from './split.js';

// One request's reservations as the enforcer keeps them between admission and settlement.

export type Reserved = { kind: 'reserved'; planned: Planned; outcome: Extract<ReserveOutcome, { ok: true }>; estimate: Estimate; cost: Picos; cap: number | undefined };
/** Admitted by `fail: open` while the counters could not be reached (the reserve may still have run). */
export type Opened = { kind: 'open'; planned: Planned };
/** `alert` raises the refusal's alert: only once the request is refused for good (not when a downgrade or another candidate serves it). */
export type Refused = { kind: 'refused'; error: GatewayError; alert: () => void; downgradeTo: string | null; room: Picos | null; estimate: Estimate };
export type Attempt = Reserved | { kind: 'free' } | Opened | Refused;

export type ReserveRequest = Pick<AdmitRequest<Served>, 'id' | 'caller' | 'bodyBytes' | 'json' | 'maxOutputTokens' | 'minOutputTokens' | 'choices' | 'modifiers' | 'context' | 'cached'>;

/** Enforcer.reserve, as the admissions of a fallback attempt and of a batch call it. */
export type Reserve = (req: ReserveRequest, rules: RuleSet, model: string, served: Served, now: number, extra?: Extra) => Promise<Attempt>;

/** A fallback's reservation: only these budgets and rate limits (those not held yet), priced at this model. */
export interface Extra {
  /** The hold's own id, `<request id>~<n>` (the request's id names it in refusals and alerts). */
  id: string;
  budgets: Budget[];
  limits: RateLimit[];
  /** Whether some budget of the fallback's model and provider (held or not) sets `enforce_max_tokens`, as at admission. */
  enforce: boolean;
  pricedAs: string;
  /** A set amount to reserve instead of the request's estimate (part of a batch). */
  fixed?: { cost: Picos; tokens: number };
}

/**
 * One request's reservations: the one made at admission, then one per model or provider an
 * attempt went to whose budgets were not held yet.
 */
export interface Holding {
  req: ReserveRequest;
  /** The output cap admission set, which a fallback's body keeps. */
  cap: number | undefined;
  admitted: { model: string; provider: string };
  /** When it was admitted (its reservations' windows), and the pool that paid for it, as its row says. */
  at: number;
  pool: string | null;
  holds: { id: string; r: Reserved | Opened }[];
  // The rest is made only once an attempt leaves the admitted model and provider.
  /** Per budget some hold charges, the most one reserved on it (null: one tried to while the counters were down). */
  covered: Map<string, Picos | null> | null;
  /** The same for rate limits: each counts the request once. */
  counted: Set<string> | null;
  /** Per model and provider seen: whether attempts may go there, and with which output cap. */
  checked: Map<string, AttemptVerdict> | null;
  /** Per attempt number that went elsewhere, the model and provider its budgets are chosen by. */
  moved: Map<number, { model: string; provider: string }> | null;
  settled: boolean;
}

/** A request's holding as admitted: its reservation (none when it holds nothing), before any attempt elsewhere. */
export function holdingOf(req: ReserveRequest, cap: number | undefined, admitted: Holding['admitted'], at: number, pool: string | null, holds: Holding['holds'] = []): Holding {
  return { req, cap, admitted, at, pool, holds, covered: null, counted: null, checked: null, moved: null, settled: false };
}

/** The pool that paid for a reservation (its first pooled group's), as the request's ledger row names it; null when none did. */
export function paidPool(a: Attempt): string | null {
  const i = a.kind === 'reserved' ? a.outcome.pooled.indexOf(true) : -1;
  return i >= 0 && a.kind === 'reserved' ? (a.planned.pools[i]?.id ?? null) : null;
}

export function moved(h: Holding, n: number, model: string, provider: string): void {
  (h.moved ??= new Map()).set(n, { model, provider });
}

/** The lines a hold charged, each with the scope whose attempts it pays for (an open hold's pooling is unknown: both). */
export function heldLines(r: Reserved | Opened): HeldLine[] {
  const { plan, counters, pools } = r.planned;
  const scopeOf = (ref: string) => counters.find((c) => c.budget.id === ref)!.budget.scope;
  const out: HeldLine[] = [];
  plan.groups.forEach((g, i) => {
    const members = g.lines.map((l) => scopeOf(l.ref));
    const pool = pools[i];
    const pooled = r.kind === 'reserved' ? r.outcome.pooled[i] : undefined;
    if (pool && pooled !== false) out.push({ ref: pool.id, scope: pool.scope, members });
    if (pooled !== true) g.lines.forEach((l, k) => out.push({ ref: l.ref, scope: members[k]! }));
  });
  return out;
}
