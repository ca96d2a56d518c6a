import type { Dialect } from '../core/api.js';
import { matchesGlob } from '../core/glob.js';
import { DEFAULT_AFFINITY, DEFAULT_HEALTH, DEFAULT_QUEUE, DEFAULT_RETRY, type Deployment, type HealthPolicy, type Route, type RetryTrigger } from '../routing/types.js';
import type { ProviderConfig } from './config.js';
import type { ConfigIssue } from './errors.js';
import type { ConfigFile } from './schema.js';

export interface RoutingConfig {
  routes: Route[];
  health: HealthPolicy;
}

type LineOf = (path: (string | number)[]) => number | undefined;

/** Routes from the file, each setting falling back to `routing:` and then the defaults. */
export function routingConfig(f: ConfigFile, providers: readonly ProviderConfig[], firstByteMs: number): RoutingConfig {
  const g = f.routing ?? {};
  const h = g.health ?? {};
  const health: HealthPolicy = {
    cooldownFailures: h.cooldown_failures ?? DEFAULT_HEALTH.cooldownFailures,
    cooldownMs: h.cooldown_ms ?? DEFAULT_HEALTH.cooldownMs,
    breakerWindow: h.breaker_window ?? DEFAULT_HEALTH.breakerWindow,
    breakerMinRequests: h.breaker_min_requests ?? DEFAULT_HEALTH.breakerMinRequests,
    breakerFailureRatio: h.breaker_failure_ratio ?? DEFAULT_HEALTH.breakerFailureRatio,
    breakerOpenMs: h.breaker_open_ms ?? DEFAULT_HEALTH.breakerOpenMs,
    halfOpenProbes: h.half_open_probes ?? DEFAULT_HEALTH.halfOpenProbes,
    outlierFactor: h.outlier_factor ?? DEFAULT_HEALTH.outlierFactor,
    outlierMinRequests: h.outlier_min_requests ?? DEFAULT_HEALTH.outlierMinRequests,
    ejectionMs: h.ejection_ms ?? DEFAULT_HEALTH.ejectionMs,
    maxEjectedPercent: h.max_ejected_percent ?? DEFAULT_HEALTH.maxEjectedPercent,
    refreshMs: h.refresh_ms ?? DEFAULT_HEALTH.refreshMs,
  };
  const byName = new Map(providers.map((p) => [p.name, p]));
  const idOf = deploymentNamer();
  const routes = (f.routes ?? []).map((r): Route => {
    const retry = { ...g.retry, ...r.retry };
    const queue = { ...g.queue, ...r.queue };
    const aff = { ...g.affinity, ...r.affinity };
    const routeTimeouts = { ...g.timeouts, ...r.timeouts };
    const deployments = r.deployments.map((d): Deployment => {
      const p = byName.get(d.provider)!;
      const t = { ...routeTimeouts, ...d.timeouts };
      return {
        id: idOf(d),
        provider: p.name,
        dialect: p.dialect,
        baseUrl: (d.base_url ?? p.baseUrl).replace(/\/+$/, ''),
        apiKey: d.api_key ?? p.apiKey,
        headers: { ...p.headers, ...Object.fromEntries(Object.entries(d.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])) },
        catalog: p.catalog,
        model: d.model,
        weight: d.weight ?? 1,
        order: d.order ?? 0,
        rpm: d.rpm,
        tpm: d.tpm,
        timeouts: { firstByteMs: t.first_byte_ms ?? firstByteMs, requestMs: t.request_ms },
      };
    });
    return {
      model: r.model,
      deployments,
      fallbacks: r.fallbacks ?? [],
      retry: {
        attempts: retry.attempts ?? DEFAULT_RETRY.attempts,
        perDeployment: retry.per_deployment ?? DEFAULT_RETRY.perDeployment,
        backoffMs: retry.backoff_ms ?? DEFAULT_RETRY.backoffMs,
        maxBackoffMs: retry.max_backoff_ms ?? DEFAULT_RETRY.maxBackoffMs,
        maxWaitMs: retry.max_wait_ms ?? DEFAULT_RETRY.maxWaitMs,
        on: retry.on ? new Set(retry.on as RetryTrigger[]) : DEFAULT_RETRY.on,
      },
      queue: { maxDepth: queue.max_depth ?? DEFAULT_QUEUE.maxDepth, maxWaitMs: queue.max_wait_ms ?? DEFAULT_QUEUE.maxWaitMs },
      affinity: {
        enabled: aff.enabled ?? DEFAULT_AFFINITY.enabled,
        ttlMs: aff.ttl_ms ?? DEFAULT_AFFINITY.ttlMs,
        missCostFactor: aff.miss_cost_factor ?? DEFAULT_AFFINITY.missCostFactor,
        minPrefixChars: aff.min_prefix_chars ?? DEFAULT_AFFINITY.minPrefixChars,
      },
    };
  });
  return { routes, health };
}

/** Deployments name configured providers of one dialect, names are unique, and fallbacks name a route of the same dialect. */
export function routingChecks(f: ConfigFile, providers: readonly { name: string; dialect: Dialect }[], line: LineOf): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const byName = new Map(providers.map((p) => [p.name, p]));
  const ids = new Map<string, string>();
  const idOf = deploymentNamer();
  const dialects: (Dialect | undefined)[] = [];
  (f.routes ?? []).forEach((r, i) => {
    let dialect: Dialect | undefined;
    r.deployments.forEach((d, j) => {
      const path = ['routes', i, 'deployments', j];
      const p = byName.get(d.provider);
      if (!p) {
        issues.push({ path: `routes[${i}].deployments[${j}].provider`, line: line([...path, 'provider']), message: `no provider is named "${d.provider}" (providers: ${providers.map((x) => x.name).join(', ')})` });
        return;
      }
      if (dialect !== undefined && p.dialect !== dialect) {
        issues.push({ path: `routes[${i}].deployments[${j}].provider`, line: line([...path, 'provider']), message: `speaks ${p.dialect}, but this route's first deployment speaks ${dialect}; a route serves one dialect` });
      }
      dialect ??= p.dialect;
      const id = idOf(d);
      const where = `routes[${i}].deployments[${j}]`;
      if (ids.has(id)) issues.push({ path: d.name ? `${where}.name` : where, line: line(d.name ? [...path, 'name'] : path), message: `deployment name "${id}" is already used by ${ids.get(id)}; give it a name` });
      else ids.set(id, where);
    });
    dialects.push(dialect);
  });
  const globs = (f.routes ?? []).map((r) => r.model);
  (f.routes ?? []).forEach((r, i) => {
    (r.fallbacks ?? []).forEach((m, k) => {
      // As the router finds it: the first route, in order, whose glob takes the model.
      const target = globs.findIndex((g, gi) => dialects[gi] === dialects[i] && matchesGlob(m, g));
      const at = { path: `routes[${i}].fallbacks[${k}]`, line: line(['routes', i, 'fallbacks', k]) };
      if (target === i) issues.push({ ...at, message: `"${m}" is taken by this route's own model glob "${r.model}" (a model goes to the first route that matches it), so this fallback would never be used: put the route for "${m}" before this one, or narrow this route's glob` });
      else if (target < 0) issues.push({ ...at, message: `no other route of the ${dialects[i] ?? 'same'} dialect serves "${m}"; add a route for it` });
    });
  });
  return issues;
}

/** A rule's `deployment` names a deployment of `routes:`. */
export function ruleTargetChecks(f: ConfigFile, line: LineOf): ConfigIssue[] {
  const idOf = deploymentNamer();
  const ids = (f.routes ?? []).flatMap((r) => r.deployments.map(idOf));
  const issues: ConfigIssue[] = [];
  (f.routing_rules ?? []).forEach((r, i) => {
    const want = r.action.deployment;
    if (want === undefined || ids.includes(want)) return;
    const known = ids.length ? `deployments: ${ids.join(', ')}` : 'no routes: are configured';
    issues.push({ path: `routing_rules[${i}].action.deployment`, line: line(['routing_rules', i, 'action', 'deployment']), message: `rule "${r.id}" targets deployment "${want}", which no route declares (${known})` });
  });
  return issues;
}

/** Names deployments in config order: their own name, else the provider's, then provider-2, provider-3 … */
function deploymentNamer(): (d: { provider: string; name?: string | undefined }) => string {
  const used = new Map<string, number>();
  return (d) => {
    if (d.name !== undefined) return d.name;
    const n = (used.get(d.provider) ?? 0) + 1;
    used.set(d.provider, n);
    return n === 1 ? d.provider : `${d.provider}-${n}`;
  };
}
