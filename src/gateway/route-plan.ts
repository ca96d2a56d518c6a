import type { Api } from '../core/api.js';
import { headerValue } from '../core/header-text.js';
import type { Identity } from '../identity/identify.js';
import type { RouteMatch } from '../providers/types.js';
import { prefixKey } from '../routing/affinity.js';
import { type RoutePlan, Router } from '../routing/router.js';
import type { RulePlan } from '../routing/rules/plan.js';
import { DEFAULT_HEALTH, type Deployment } from '../routing/types.js';
import type { GatewayDeps } from './proxy.js';
import { checkProviderKey, keySource, lacksProviderKey, reachableCandidates } from './provider-keys.js';
import type { RuleFallback } from './routed.js';
import type { UpstreamProvider } from './select-provider.js';

/** What choosing a request's deployments looks at. */
export interface PlanInput {
  route: RouteMatch;
  /** The routing rule recorded for the request, if any. */
  rule: RulePlan | undefined;
  /** The provider the client named (`/p/{name}`), which takes its request off the routes. */
  explicit: string | undefined;
  /** The provider the request goes to instead, when the client or a rule names one. */
  provider: string | undefined;
  /** The model the client asked for, before any rule. */
  asked: string;
  who: Identity;
  /** The client sent `x-tollgate-model-override: keep`. */
  keep: boolean;
  /** The client's own provider key goes upstream. */
  passthrough: boolean;
  json: unknown;
}

/** The deployments a routed request tries (`fallback`: then, for a rule's, the model asked for). */
export interface Plans {
  router: Router;
  plan: RoutePlan;
  fallback: RuleFallback | undefined;
}

/**
 * The routing step for a request to `model` (the one asked for, or a rule's): the deployment a
 * routing rule pinned, or the configured route serving the model with its deployments and
 * fallbacks as candidates. Undefined for the plain single-provider path (no route matches, or a
 * provider is named), unless a rule moved the request and may fall back: then `upstream`, the
 * provider chosen, is its target, tried once before the model asked for.
 */
export function routePlans(deps: GatewayDeps, x: PlanInput, upstream: UpstreamProvider, model: string): Plans | undefined {
  let plan = routed(deps, x, model);
  const fallback = ruleFallback(deps, x, model);
  if (plan === undefined && fallback === undefined) return undefined;
  if (plan === undefined) {
    checkProviderKey(upstream, keySource(x.who, deps.auth));
    plan = routerOf(deps).alone(providerDeployment(upstream, deps.firstByteMs), model);
  } else plan.candidates = reachableCandidates(plan.route.model, plan.candidates, keySource(x.who, deps.auth));
  return { router: routerOf(deps), plan, fallback };
}

function routed(deps: GatewayDeps, x: Pick<PlanInput, 'route' | 'rule' | 'provider' | 'who' | 'json'>, model: string): RoutePlan | undefined {
  const pinned = x.rule?.deployment;
  if (pinned !== undefined) return deps.router?.pin(pinned, model);
  // A batch or a file names no model, and is kept by the one account that made it.
  if (deps.router === undefined || x.provider !== undefined || ACCOUNT_BOUND.has(x.route.api)) return undefined;
  const r = deps.router.routeFor(x.route.dialect, model);
  if (r === undefined) return undefined;
  const sessionId = x.who.sessionId;
  const affinity = !r.affinity.enabled || r.deployments.length + r.fallbacks.length < 2 ? undefined : sessionId !== null ? `s:${sessionId}` : prefixKey(x.route.api, x.json, r.affinity.minPrefixChars);
  return deps.router.plan(r, model, affinity);
}

/**
 * Where a request an enforced rule moved to `target` goes once that fails: the model the client
 * asked for, as model policy serves it to the caller, on its own route (deployments, retries,
 * fallbacks) or at its provider (one try). Undefined when the rule turns that off, when it is
 * what the target already is, or when nothing of the request's dialect can take it with the key at hand.
 */
function ruleFallback(deps: GatewayDeps, x: PlanInput, target: string): RuleFallback | undefined {
  const rule = x.rule;
  if (rule?.fallback !== true || ACCOUNT_BOUND.has(x.route.api)) return undefined;
  const model = deps.policy ? deps.policy.modelServed(x.who, x.asked, x.keep) : x.asked;
  if (model === undefined || (model === target && rule.deployment === undefined && rule.provider === undefined)) return undefined;
  const rewritten = model === x.asked ? undefined : headerValue(`${x.asked}->${model}`);
  const plan = routed(deps, { ...x, rule: undefined, provider: x.explicit }, model);
  if (plan !== undefined) {
    const reachable = plan.candidates.filter((c) => x.passthrough || !lacksProviderKey(c.d));
    if (reachable.length === 0) return undefined;
    plan.candidates = reachable;
    return { plan, model, rewritten };
  }
  let p: UpstreamProvider;
  try {
    p = deps.providers.select(x.route.dialect, model, x.explicit);
  } catch {
    return undefined;
  }
  // A provider translating from another dialect is not a deployment: the fallback stays in the request's own.
  if (p.dialect !== x.route.dialect || (!x.passthrough && lacksProviderKey(p))) return undefined;
  return { plan: routerOf(deps).alone(providerDeployment(p, deps.firstByteMs), model), model, rewritten };
}

/** A configured provider as the one deployment of a plan made `alone`: named after it, as the plain path's attempts are. */
function providerDeployment(p: UpstreamProvider, firstByteMs: number): Deployment {
  return { id: p.name, provider: p.name, dialect: p.dialect, baseUrl: p.baseUrl, apiKey: p.apiKey, headers: p.headers, catalog: p.catalog, keyRequired: p.keyRequired, model: undefined, weight: 1, order: 0, rpm: undefined, tpm: undefined, timeouts: { firstByteMs, requestMs: undefined } };
}

// Plans made `alone` need a router even where no routes are configured; this one holds no state of its own.
let standalone: Router | undefined;

function routerOf(deps: GatewayDeps): Router {
  return deps.router ?? (standalone ??= new Router([], DEFAULT_HEALTH));
}

/**
 * APIs whose objects live in the one account that made them: never sent through a route's deployments
 * (whose `model` would be written into a body that names none).
 */
const ACCOUNT_BOUND: ReadonlySet<Api> = new Set<Api>([
  'anthropic.batches',
  'anthropic.files',
  'anthropic.skills',
  'anthropic.skill_versions',
  'gemini.files',
  'openai.files',
  'openai.batches',
  'openai.chat_lookup',
  'openai.conversations',
  'openai.conversation_items',
  'openai.vector_stores',
  'openai.vector_store_files',
  'openai.containers',
  'openai.container_files',
  'openai.skills',
  'openai.skill_versions',
  'gemini.batches',
]);
