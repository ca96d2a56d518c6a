import type { RouteMode } from './rule.js';
import type { RouteRequest, RuleRouter } from './router.js';
import type { Counterpart } from './saving.js';

/** What the gateway needs to know about where a model would be served. */
export interface RouteEnv {
  /** Model policy lets this caller use the model (deny and allow lists). */
  allowed(model: string): boolean;
  /** The provider serving `model` (`provider` names one; undefined keeps the gateway's choice). Throws when none can. */
  select(model: string, provider: string | undefined): { name: string; catalog: string | undefined };
}

export interface RulePlan {
  rule: string;
  mode: RouteMode;
  /** The model to serve: the rule's for `enforce`, the client's for `shadow`. */
  model: string;
  /** The provider an enforced rule names, if any. */
  provider: string | undefined;
  /** What the served request is priced against for its saving (undefined when that cannot be said). */
  counterpart: Counterpart | undefined;
}

/**
 * Runs the rules for one request. A rule applies only where its target is allowed to
 * the caller by model policy and some provider serves it in the request's dialect;
 * otherwise evaluation goes on to the next rule.
 */
export function planRoute(router: RuleRouter, req: RouteRequest, env: RouteEnv): RulePlan | undefined {
  const choice = router.decide(req, (a) => env.allowed(a.model) && serves(env, a.model, a.provider) !== undefined);
  if (!choice) return undefined;
  const { action } = choice;
  if (choice.mode === 'shadow') {
    const p = serves(env, action.model, action.provider);
    return { rule: choice.rule, mode: 'shadow', model: req.model, provider: undefined, counterpart: p && { model: action.model, provider: p.name, catalogProvider: p.catalog } };
  }
  const p = serves(env, req.model, undefined);
  return { rule: choice.rule, mode: 'enforce', model: action.model, provider: action.provider, counterpart: p && { model: req.model, provider: p.name, catalogProvider: p.catalog } };
}

function serves(env: RouteEnv, model: string, provider: string | undefined): { name: string; catalog: string | undefined } | undefined {
  try {
    return env.select(model, provider);
  } catch {
    return undefined;
  }
}
