import type { Dialect } from '../core/api.js';

/** Where one deployment sends requests: a provider with its own account, key or region. */
export interface Deployment {
  /** Unique across the config; names the deployment in the ledger, headers and shared health. */
  id: string;
  /** The configured provider's name (reports and pricing use it). */
  provider: string;
  dialect: Dialect;
  /** Origin plus optional path prefix, no trailing slash. */
  baseUrl: string;
  apiKey: string | undefined;
  headers: Readonly<Record<string, string>>;
  /** The pricing catalog's provider id, when known. */
  catalog: string | undefined;
  /** A hosted API (the price catalog knows it by its URL), which refuses a request without a key. */
  keyRequired?: boolean;
  /** The model name sent upstream, when it differs from the route's model. */
  model: string | undefined;
  weight: number;
  /** Lower orders are used first; a higher order only when every lower one is down or full. */
  order: number;
  /** Configured capacity (requests and tokens per minute), when known. */
  rpm: number | undefined;
  tpm: number | undefined;
  timeouts: Timeouts;
}

export interface Timeouts {
  /** Until the response headers arrive. */
  firstByteMs: number;
  /** The whole request, body included; undefined for no limit beyond the idle timeout. */
  requestMs: number | undefined;
}

/** What may cause another attempt. `auth`: a 401 or 403 to the deployment's own key (a revoked or suspended account). */
export type RetryTrigger = 'rate_limit' | 'server_error' | 'overloaded' | 'connect' | 'first_byte_timeout' | 'request_timeout' | 'auth';
export const RETRY_TRIGGERS: readonly RetryTrigger[] = ['rate_limit', 'server_error', 'overloaded', 'connect', 'first_byte_timeout', 'request_timeout', 'auth'];

export interface RetryPolicy {
  /** Upstream tries per client request, the first included. */
  attempts: number;
  /** Tries per deployment per client request. */
  perDeployment: number;
  /** First backoff; doubles per try on the same deployment, with full jitter. */
  backoffMs: number;
  maxBackoffMs: number;
  /** A wait longer than this (retry-after, reset, backoff) is not attempted: the error goes back. */
  maxWaitMs: number;
  on: ReadonlySet<RetryTrigger>;
}

export interface QueuePolicy {
  /** Requests that may wait for capacity at once on a route; more are refused at once. */
  maxDepth: number;
  maxWaitMs: number;
}

export interface AffinityPolicy {
  enabled: boolean;
  /** How long a session or prompt prefix stays with its deployment without traffic. */
  ttlMs: number;
  /**
   * A cache miss costs up to this many times the cached price, so the sticky deployment is
   * kept unless another has this many times its headroom.
   */
  missCostFactor: number;
  /** Prompt prefixes shorter than this (characters) are not cached by providers: no affinity. */
  minPrefixChars: number;
}

/** A configured route: requests for models matching `model` go to its deployments, then its fallbacks. */
export interface Route {
  /** The model glob. */
  model: string;
  deployments: Deployment[];
  /** Models tried, in order, once this route's deployments are exhausted (same dialect). */
  fallbacks: string[];
  retry: RetryPolicy;
  queue: QueuePolicy;
  affinity: AffinityPolicy;
}

export interface HealthPolicy {
  /** Consecutive failures that put a deployment in cooldown, and for how long. */
  cooldownFailures: number;
  cooldownMs: number;
  /** The breaker opens when, of the last `window` outcomes (at least `minRequests`), this share failed. */
  breakerWindow: number;
  breakerMinRequests: number;
  breakerFailureRatio: number;
  breakerOpenMs: number;
  /** Trial requests let through while half-open. */
  halfOpenProbes: number;
  /** Ejects a deployment whose failure rate is `outlierFactor` times its peers' (at least `outlierMinRequests` seen). */
  outlierFactor: number;
  outlierMinRequests: number;
  ejectionMs: number;
  /** At most this share of a route's deployments is ejected at once. */
  maxEjectedPercent: number;
  /** How often shared health is read from Redis. */
  refreshMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 3,
  perDeployment: 2,
  backoffMs: 250,
  maxBackoffMs: 8000,
  maxWaitMs: 10_000,
  on: new Set(RETRY_TRIGGERS),
};

export const DEFAULT_QUEUE: QueuePolicy = { maxDepth: 100, maxWaitMs: 5000 };

export const DEFAULT_AFFINITY: AffinityPolicy = { enabled: true, ttlMs: 5 * 60_000, missCostFactor: 10, minPrefixChars: 4096 };

export const DEFAULT_HEALTH: HealthPolicy = {
  cooldownFailures: 3,
  cooldownMs: 30_000,
  breakerWindow: 20,
  breakerMinRequests: 10,
  breakerFailureRatio: 0.5,
  breakerOpenMs: 30_000,
  halfOpenProbes: 1,
  outlierFactor: 3,
  outlierMinRequests: 20,
  ejectionMs: 30_000,
  maxEjectedPercent: 50,
  refreshMs: 500,
};
