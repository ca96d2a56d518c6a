import type { Api } from '../../core/api.js';
import { compileGlobs } from '../../core/glob.js';
import { estimateInputTokens } from '../../metering/estimate.js';
import { hasImages, hasTools, reasoningEffort, systemHash, systemText } from './features.js';
import type { Range, RouteMode, RoutingRule, RuleAction } from './rule.js';

/** What the router sees of one request. Header names are lower case. */
export interface RouteRequest {
  api: Api;
  model: string;
  keyId: string | null;
  user: string | null;
  team: string | null;
  project: string | null;
  tags: Readonly<Record<string, string>>;
  headers: Readonly<Record<string, string>>;
  json: unknown;
  maxOutputTokens: number | undefined;
}

/**
 * Body features, each computed on first use only: a request whose rules stop at a
 * cheap condition (model, key, header) never walks its body.
 */
export class Features {
  private readonly r: RouteRequest;
  private tokens?: number;
  private tokensCap = 0;
  private tools?: boolean;
  private images?: boolean;
  private effort?: string | null;
  private hash?: string | null;

  constructor(r: RouteRequest) {
    this.r = r;
  }

  /**
   * The estimate, exact up to `cap`; past it, some count above `cap` (the walk stops
   * there, so a large body costs no more than the rule's bound).
   */
  inputTokens(cap: number): number {
    if (this.tokens === undefined || (this.tokens > this.tokensCap && cap > this.tokensCap)) {
      this.tokens = estimateInputTokens(this.r.json, cap);
      this.tokensCap = cap;
    }
    return this.tokens;
  }
  get hasTools(): boolean {
    return (this.tools ??= hasTools(this.r.api, this.r.json));
  }
  get hasImages(): boolean {
    return (this.images ??= hasImages(this.r.api, this.r.json));
  }
  /** `unset` when the request asks for no particular effort. */
  get reasoning(): string {
    if (this.effort === undefined) this.effort = reasoningEffort(this.r.api, this.r.json) ?? null;
    return this.effort ?? 'unset';
  }
  /** `none` when the request has no system prompt. */
  get systemHash(): string {
    if (this.hash === undefined) {
      const text = systemText(this.r.api, this.r.json);
      this.hash = text === undefined ? null : systemHash(text);
    }
    return this.hash ?? 'none';
  }
}

type Test = (r: RouteRequest, f: Features) => boolean;

export interface CompiledRule {
  id: string;
  mode: RouteMode;
  action: RuleAction;
  /** The APIs the rule is limited to; undefined: any. */
  apis: ReadonlySet<Api> | undefined;
  test: Test;
}

function inRange(n: number, r: Range): boolean {
  return (r.lt === undefined || n < r.lt) && (r.lte === undefined || n <= r.lte) && (r.gt === undefined || n > r.gt) && (r.gte === undefined || n >= r.gte);
}

/** Turns a rule into one predicate, cheap conditions first and body features last. */
export function compileRule(rule: RoutingRule): CompiledRule {
  const m = rule.match;
  const tests: Test[] = [];
  const attr = (globs: string[] | undefined, read: (r: RouteRequest) => string | null) => {
    if (!globs) return;
    const ok = compileGlobs(globs);
    tests.push((r) => {
      const v = read(r);
      return v !== null && ok(v);
    });
  };
  const apis = m.api ? new Set(m.api) : undefined;
  if (apis) tests.push((r) => apis.has(r.api));
  attr(m.model, (r) => r.model);
  attr(m.key, (r) => r.keyId);
  attr(m.user, (r) => r.user);
  attr(m.team, (r) => r.team);
  attr(m.project, (r) => r.project);
  for (const [name, glob] of Object.entries(m.tags ?? {})) attr([glob], (r) => r.tags[name] ?? null);
  for (const [name, glob] of Object.entries(m.headers ?? {})) attr([glob], (r) => r.headers[name] ?? null);
  if (m.maxTokens) {
    const range = m.maxTokens;
    tests.push((r) => r.maxOutputTokens !== undefined && inRange(r.maxOutputTokens, range));
  }
  if (m.tools !== undefined) {
    const want = m.tools;
    tests.push((_, f) => f.hasTools === want);
  }
  if (m.images !== undefined) {
    const want = m.images;
    tests.push((_, f) => f.hasImages === want);
  }
  if (m.reasoning) {
    const ok = compileGlobs(m.reasoning);
    tests.push((_, f) => ok(f.reasoning));
  }
  if (m.systemHash) {
    const hashes = new Set(m.systemHash);
    tests.push((_, f) => hashes.has(f.systemHash));
  }
  // The token estimate walks the whole body: the dearest test goes last.
  if (m.inputTokens) {
    const range = m.inputTokens;
    // Past every bound, all comparisons come out the same: count no further than that.
    const cap = Math.max(range.lt ?? 0, (range.lte ?? -1) + 1, (range.gt ?? -1) + 1, range.gte ?? 0);
    tests.push((_, f) => inRange(f.inputTokens(cap), range));
  }
  return { id: rule.id, mode: rule.mode, action: rule.action, apis, test: (r, f) => tests.every((t) => t(r, f)) };
}

/** What the router decided for one request. */
export interface RouteChoice {
  rule: string;
  mode: RouteMode;
  action: RuleAction;
}

/** Whether a rule's target may serve this request: allowed by model policy and served by some provider of its dialect. */
export type TargetCheck = (action: RuleAction) => boolean;

/**
 * Rules compiled once, at startup. Traffic follows the first matching `enforce` rule
 * whose target passes `usable`; shadow rules never change it. A request is recorded
 * under the enforce rule that routed it, else under the first matching shadow rule.
 */
export class RuleRouter {
  private readonly rules: CompiledRule[];

  constructor(rules: readonly RoutingRule[]) {
    this.rules = rules.map(compileRule);
  }

  get size(): number {
    return this.rules.length;
  }

  /** Whether some rule may apply to a request of this API (one without an `api` condition may apply to any). */
  mayApply(api: Api): boolean {
    return this.rules.some((rule) => rule.apis === undefined || rule.apis.has(api));
  }

  decide(r: RouteRequest, usable: TargetCheck): RouteChoice | undefined {
    const f = new Features(r);
    let shadow: RouteChoice | undefined;
    for (const rule of this.rules) {
      if (rule.mode === 'shadow' && shadow) continue;
      if (!rule.test(r, f) || !usable(rule.action)) continue;
      const choice = { rule: rule.id, mode: rule.mode, action: rule.action };
      if (rule.mode === 'enforce') return choice;
      shadow = choice;
    }
    return shadow;
  }
}
