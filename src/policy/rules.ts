import type { Picos } from '../core/money.js';
import type { Scope } from './scope.js';
import type { WindowSpec } from './window.js';

/** Where a rule came from: the config file (read-only at runtime) or the CLI and admin API. */
export type RuleSource = 'config' | 'api';

/** When the shared counter store (Redis) cannot be reached: admit and log, or refuse. */
export type FailMode = 'open' | 'closed';

/**
 * A spend cap on a scope for a window. A request must fit every budget that applies to it.
 * A pool is a budget that applies to no request directly: budgets that name it draw on it
 * once they are spent, for requests that also match the pool's own scope.
 */
export interface Budget {
  id: string;
  kind: 'budget' | 'pool';
  name: string | null;
  scope: Scope;
  window: WindowSpec;
  limitPicos: Picos;
  /** Percentages of the limit that raise one alert each per window. */
  thresholds: number[];
  fail: FailMode;
  /** The pool this budget draws on when it is spent (budgets only). */
  pool: string | null;
  /** Past this share of the limit, serve `to` instead (and instead of refusing). */
  downgrade: { atPercent: number; to: string } | null;
  /** Cap the request's output upstream to what the reservation covers (changes the request). */
  enforceMaxTokens: boolean;
  source: RuleSource;
  createdAt: number;
}

/** Requests, tokens and concurrent requests per scope; each field is optional. */
export interface RateLimit {
  id: string;
  name: string | null;
  scope: Scope;
  rpm: number | null;
  tpm: number | null;
  concurrency: number | null;
  fail: FailMode;
  source: RuleSource;
  createdAt: number;
}

/**
 * Which models an identity scope (org, key, user, team, project) may use, and which
 * requested models are served by a cheaper one unless the client sends
 * `x-tollgate-model-override: keep` (and the rule allows that).
 */
export interface ModelPolicy {
  id: string;
  name: string | null;
  scope: Scope;
  allow: string[] | null;
  deny: string[];
  rewrites: { from: string; to: string }[];
  allowKeep: boolean;
  source: RuleSource;
  createdAt: number;
}

export type IncreaseStatus = 'pending' | 'approved' | 'denied' | 'expired';

/** A developer's request to exceed a cap for a while, and its decision. */
export interface Increase {
  id: string;
  /** Raises every budget on this scope, or only `budgetId` when set. */
  scope: Scope;
  budgetId: string | null;
  amountPicos: Picos;
  hours: number;
  reason: string;
  requestedBy: string;
  status: IncreaseStatus;
  createdAt: number;
  decidedAt: number | null;
  decidedBy: string | null;
  note: string | null;
  /** Set on approval: decidedAt + hours. */
  expiresAt: number | null;
}

export interface AuditEntry {
  id: string;
  ts: number;
  actor: string;
  /** budget.set, budget.delete, increase.request, increase.approve, increase.deny, increase.expire, ratelimit.set, policy.fail_open, … */
  action: string;
  subject: string;
  details: Record<string, unknown>;
}

/** Every rule in force, as one snapshot the gateway reads without I/O. */
export interface RuleSet {
  budgets: Budget[];
  rateLimits: RateLimit[];
  modelPolicies: ModelPolicy[];
  /** Approved increases that have not expired (and pending ones, for `/me`). */
  increases: Increase[];
}

export function emptyRuleSet(): RuleSet {
  return { budgets: [], rateLimits: [], modelPolicies: [], increases: [] };
}

/** No budget, rate limit or model policy: every request is admitted as it is. */
export function noRules(r: RuleSet): boolean {
  return r.budgets.length === 0 && r.rateLimits.length === 0 && r.modelPolicies.length === 0;
}

/** Whether some rule counts a request's tokens or cost: a budget, or a tokens-per-minute limit. */
export function countsTokens(r: RuleSet): boolean {
  return r.budgets.length > 0 || r.rateLimits.some((l) => l.tpm !== null);
}

/** A budget's limit now, with approved increases that are in force. */
export function effectiveLimit(b: Budget, increases: readonly Increase[], now: number): Picos {
  let limit = b.limitPicos;
  for (const inc of increases) {
    if (inc.status !== 'approved' || inc.expiresAt === null || inc.decidedAt === null) continue;
    if (now < inc.decidedAt || now >= inc.expiresAt) continue;
    if (increaseApplies(inc, b)) limit += inc.amountPicos;
  }
  return limit;
}

/** Whether an increase raises this budget (or pool): the one it names, else every one on its scope. */
export function increaseApplies(inc: Pick<Increase, 'scope' | 'budgetId'>, b: Budget): boolean {
  return inc.budgetId ? inc.budgetId === b.id : inc.scope.kind === b.scope.kind && inc.scope.value === b.scope.value;
}

/** A rule as an audit entry's subject: `budget:cfg-alice`; a derived id names its kind already (`budget:team:a:month`), so it is kept as it is. */
export function ruleSubject(kind: string, id: string): string {
  return id.startsWith(`${kind}:`) ? id : `${kind}:${id}`;
}
