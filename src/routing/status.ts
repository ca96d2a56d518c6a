import type { Capacity, LimitView } from './capacity.js';
import type { DeploymentHealth } from './health.js';
import type { Deployment, Route } from './types.js';

/** One deployment as `GET /admin/v1/routing/status` shows it. Times are ISO 8601, null when not in force. */
export interface DeploymentStatus {
  deployment: string;
  provider: string;
  /** The model name it sends upstream, when it has its own. */
  model: string | null;
  order: number;
  weight: number;
  /** Whether a new request may go there now (health only; rate limits are below). */
  available: boolean;
  breaker: 'closed' | 'open' | 'half_open';
  breaker_open_until: string | null;
  cooldown_until: string | null;
  ejected_until: string | null;
  /** Out of rotation because another replica marked it (Redis), until then. */
  shared_until: string | null;
  consecutive_failures: number;
  /** Outcomes in the breaker's window and how many failed; the smoothed failure rate outlier ejection compares. */
  recent: { outcomes: number; failures: number; failure_rate: number };
  in_flight: number;
  rate_limit: {
    requests: LimitJson | null;
    tokens: LimitJson | null;
    /** A 429 rests the deployment until then. */
    blocked_until: string | null;
    rpm: number | null;
    tpm: number | null;
    /** The smallest share of capacity left, 0–1 (1 when nothing is known). */
    headroom: number;
  };
}

export interface LimitJson {
  limit: number | null;
  remaining: number;
  reset_at: string;
}

export interface RouteStatus {
  model: string;
  fallbacks: string[];
  /** Requests waiting for capacity now. */
  queued: number;
  deployments: DeploymentStatus[];
}

const iso = (ms: number, now: number) => (ms > now ? new Date(ms).toISOString() : null);
const limit = (v: LimitView | undefined): LimitJson | null => (v ? { limit: v.limit ?? null, remaining: v.remaining, reset_at: new Date(v.resetAt).toISOString() } : null);

export function deploymentStatus(d: Deployment, h: DeploymentHealth, cap: Capacity, now: number): DeploymentStatus {
  const breaker = h.breakerAt(now);
  const view = cap.view(now);
  const recent = h.recent;
  return {
    deployment: d.id,
    provider: d.provider,
    model: d.model ?? null,
    order: d.order,
    weight: d.weight,
    available: h.cooldownUntil <= now && h.ejectedUntil <= now && h.remoteUntil <= now && breaker !== 'open',
    breaker,
    breaker_open_until: breaker === 'open' ? iso(h.openUntil, now) : null,
    cooldown_until: iso(h.cooldownUntil, now),
    ejected_until: iso(h.ejectedUntil, now),
    shared_until: iso(h.remoteUntil, now),
    consecutive_failures: h.consecutive,
    recent: { ...recent, failure_rate: Math.round(h.failureRate * 1000) / 1000 },
    in_flight: cap.inflight,
    rate_limit: { requests: limit(view.requests), tokens: limit(view.tokens), blocked_until: iso(cap.blockedUntil, now), rpm: d.rpm ?? null, tpm: d.tpm ?? null, headroom: Math.round(cap.headroom(now) * 1000) / 1000 },
  };
}

export function routeStatus(r: Route, queued: number, deployments: DeploymentStatus[]): RouteStatus {
  return { model: r.model, fallbacks: r.fallbacks, queued, deployments };
}
