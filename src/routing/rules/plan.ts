import type { RouteMode } from './rule.js';
import type { RouteRequest, RuleRouter } from './router.js';
import type { Counterpart } from './saving.js';

/** Where a model, or a named deployment, would serve the request. */
export interface ServedBy {
  name: string;
  catalog: string | undefined;
}

/** What the gateway needs to know about where a model would be served. */
export interface RouteEnv {
  /** Model policy lets this caller use the model (deny and allow lists). */
  allowed(model: string): boolean;
  /** The provider serving `model` (`provider` names one; undefined keeps the gateway's choice). Throws when none can. */
  select(model: string, provider: string | undefined): ServedBy;
  /**
   * A configured deployment's provider, and the model name it sends upstream for `model`;
   * undefined when no deployment has that name or it speaks another dialect than the request.
   */
  deployment?(id: string, model: string): (ServedBy & { upstreamModel: string }) | undefined;
}

export interface RulePlan {
  rule: string;
  mode: RouteMode;
  /** The model to serve: the rule's for `enforce`, the client's for `shadow`. */
  model: string;
  /** The provider an enforced rule names, if any. */
  provider: string | undefined;
  /** The deployment an enforced rule sends the request to, if any: it alone serves it. */
  deployment?: string;
  /** An enforced rule's target that fails (retryably) leaves the request to the model the client asked for (RuleAction.fallback). */
  fallback?: true;
  /** What the served request is priced against for its saving (undefined when that cannot be said). */
  counterpart: Counterpart | undefined;
}

interface Target {
  model?: string;
  provider?: string;
  deployment?: string;
}

/**
 * Runs the rules for one request. A rule applies only where its target is allowed to
 * the caller by model policy and some provider (or its named deployment) serves it in
 * the request's dialect; otherwise evaluation goes on to the next rule.
 */
export function planRoute(router: RuleRouter, req: RouteRequest, env: RouteEnv): RulePlan | undefined {
  const choice = router.decide(req, (a) => env.allowed(a.model ?? req.model) && serves(env, a, req.model) !== undefined);
  if (!choice) return undefined;
  const { action } = choice;
  const model = action.model ?? req.model;
  if (choice.mode === 'shadow') {
    const p = serves(env, action, req.model);
    return { rule: choice.rule, mode: 'shadow', model: req.model, provider: undefined, counterpart: p && { model: p.model, provider: p.name, catalogProvider: p.catalog } };
  }
  const p = serves(env, { model: req.model }, req.model);
  const plan: RulePlan = { rule: choice.rule, mode: 'enforce', model, provider: action.provider, counterpart: p && { model: req.model, provider: p.name, catalogProvider: p.catalog } };
  if (action.deployment !== undefined) plan.deployment = action.deployment;
  // A rule that pins a deployment keeps the request there by default: falling back may reach the peers it was kept from.
  if (action.fallback ?? action.deployment === undefined) plan.fallback = true;
  return plan;
}

/** Where a target would be served, and the model name it would be priced at there. */
function serves(env: RouteEnv, t: Target, asked: string): (ServedBy & { model: string }) | undefined {
  const model = t.model ?? asked;
  if (t.deployment !== undefined) {
    const d = env.deployment?.(t.deployment, model);
    return d && { name: d.name, catalog: d.catalog, model: d.upstreamModel };
  }
  try {
    return { ...env.select(model, t.provider), model };
  } catch {
    return undefined;
  }
}
