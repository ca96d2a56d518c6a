import type { Api } from '../../core/api.js';

export type RouteMode = 'enforce' | 'shadow';

/** A numeric condition; every bound set must hold. */
export interface Range {
  lt?: number;
  lte?: number;
  gt?: number;
  gte?: number;
}

/** What a rule matches on. Every condition set must hold; an empty match matches every request. */
export interface RuleMatch {
  /** Globs on the model the client asked for. */
  model?: string[];
  api?: Api[];
  /** Globs on the virtual key id, user, team and project; a request without one never matches its condition. */
  key?: string[];
  user?: string[];
  team?: string[];
  project?: string[];
  /** Tag name → glob on its value. */
  tags?: Record<string, string>;
  /** Header name (lower case) → glob on its value. */
  headers?: Record<string, string>;
  /** Estimated input tokens (metering's estimate: about four characters a token). */
  inputTokens?: Range;
  /** The output cap the client sent; a request without one never matches. */
  maxTokens?: Range;
  tools?: boolean;
  images?: boolean;
  /** Reasoning efforts (lower case); `unset` matches a request that asks for none. */
  reasoning?: string[];
  /** Accepted system prompt hashes (see `systemHash`); `none` matches a request without a system prompt. */
  systemHash?: string[];
}

/** Where a rule sends a request: a model (and maybe a provider), or a named deployment of `routes:`. */
export interface RuleAction {
  /** The model to serve; with `deployment` and no model, the model the client asked for. */
  model?: string;
  /** A configured provider's name; by default the provider the model would be selected to. */
  provider?: string;
  /** A deployment's name (`routes[].deployments[].name`): the request goes to it alone. */
  deployment?: string;
  /**
   * Whether a request whose target fails (a retryable error, its deployments exhausted) is served by
   * the model the client asked for instead; unset, it is for a rule that names no deployment.
   */
  fallback?: boolean;
}

/** A routing rule as configured. */
export interface RoutingRule {
  id: string;
  mode: RouteMode;
  match: RuleMatch;
  action: RuleAction;
}
