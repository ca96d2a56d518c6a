import { compileGlob } from '../core/glob.js';
import { modelNotAllowed } from './refusal.js';
import { serverFallbackModels } from './server-fallbacks.js';
import type { ModelPolicy } from './rules.js';
import { type Scope, type Subject, scopeMatches } from './scope.js';

/** The outcome of the model policies for one request. */
export type ModelDecision =
  | { allowed: true; model: string; rewrittenFrom: string | null; policyId: string | null }
  | { allowed: false; model: string; policy: ModelPolicy; reason: string };

/** More specific scopes win a rewrite: a key's rule over its user's, over its project's, team's, org's. */
const SPECIFICITY: Partial<Record<Scope['kind'], number>> = { key: 5, user: 4, project: 3, team: 2, org: 1 };

function matches(globs: readonly string[], model: string): boolean {
  return globs.some((g) => compileGlob(g).test(model));
}

/**
 * Applies allow and deny lists and default-model rewrites. A model on any applicable deny
 * list is refused as asked for, even where a rewrite would have replaced it: a deny is
 * explicit. The model finally served must pass every deny and allow list; allow lists
 * judge only that model, so `allow: [claude-sonnet-*]` beside a rewrite of opus to sonnet
 * serves opus requests with sonnet. `keep` is the client's `x-tollgate-model-override: keep`.
 */
export function decideModel(policies: readonly ModelPolicy[], who: Omit<Subject, 'model' | 'provider'>, requested: string, keep: boolean): ModelDecision {
  if (policies.length === 0) return { allowed: true, model: requested, rewrittenFrom: null, policyId: null };
  const subject: Subject = { ...who, model: requested, provider: '' };
  const applicable = policies.filter((p) => SPECIFICITY[p.scope.kind] !== undefined && scopeMatches(p.scope, subject));
  if (applicable.length === 0) return { allowed: true, model: requested, rewrittenFrom: null, policyId: null };

  const check = (model: string): ModelDecision | undefined => {
    for (const p of applicable) {
      if (matches(p.deny, model)) return { allowed: false, model, policy: p, reason: `${model} is on the deny list` };
      if (p.allow && !matches(p.allow, model)) return { allowed: false, model, policy: p, reason: `${model} is not on the allow list (${p.allow.join(', ')})` };
    }
    return undefined;
  };

  const denied = applicable.find((p) => matches(p.deny, requested));
  if (denied) return { allowed: false, model: requested, policy: denied, reason: `${requested} is on the deny list` };

  const ordered = [...applicable].sort((a, b) => (SPECIFICITY[b.scope.kind] ?? 0) - (SPECIFICITY[a.scope.kind] ?? 0));
  for (const p of ordered) {
    const rule = p.rewrites.find((r) => compileGlob(r.from).test(requested));
    if (!rule || rule.to.toLowerCase() === requested.toLowerCase()) continue;
    if (keep && p.allowKeep) break;
    return check(rule.to) ?? { allowed: true, model: rule.to, rewrittenFrom: requested, policyId: p.id };
  }
  return check(requested) ?? { allowed: true, model: requested, rewrittenFrom: null, policyId: null };
}

/**
 * A batch's requests are sent as they are, never rewritten: throws the refusal for a model that
 * model policy denies, or would serve as another (the error names the model to ask for).
 */
export function refuseBatchModel(policies: readonly ModelPolicy[], who: Omit<Subject, 'model' | 'provider'>, model: string): void {
  refuseUnrewritten(policies, who, model, "a batch's requests are not rewritten");
}

function refuseUnrewritten(policies: readonly ModelPolicy[], who: Omit<Subject, 'model' | 'provider'>, model: string, why: string): void {
  const d = decideModel(policies, who, model, false);
  if (!d.allowed) throw modelNotAllowed(d.policy, d.model, d.reason);
  if (d.model === model) return;
  const policy = policies.find((p) => p.id === d.policyId)!;
  throw modelNotAllowed(policy, model, `the model policy serves ${d.model} instead, and ${why}: ask for ${d.model}`);
}

/**
 * The model policy's decision for a request (refused, 403, when it denies the model), and for the
 * models its server-side fallbacks name: Anthropic's `fallbacks[].model` (beta
 * `server-side-fallback-2026-07-01`, the SDK's BetaFallbackParam), which the API may serve in place
 * of the model asked for. Each is sent as named, never rewritten, so it must be one the caller may
 * use as it is: a denied model was served through a fallback of an allowed one.
 */
export function admitModel(policies: readonly ModelPolicy[], who: Omit<Subject, 'model' | 'provider'>, requested: string, keep: boolean, json: unknown): ModelDecision & { allowed: true } {
  const d = decideModel(policies, who, requested, keep);
  if (!d.allowed) throw modelNotAllowed(d.policy, d.model, d.reason);
  if (policies.length === 0) return d;
  for (const model of serverFallbackModels(json)) refuseUnrewritten(policies, who, model, 'a server-side fallback is served as the request names it');
  return d;
}
