import type { RoutingOptions } from '../../src/app.js';
import type { ProviderConfig } from '../../src/config/config.js';
import { routingConfig } from '../../src/config/routing.js';
import type { ConfigFile } from '../../src/config/schema.js';
import type { UpstreamProvider } from '../../src/gateway/select-provider.js';
import type { PriceFn } from '../../src/metering/build-row.js';
import type { RoutingStatusJson } from '../../src/cli/commands/routing-status.js';
import type { RecordedRequest } from '../fake-upstream/index.js';
import { type Harness, defaultProviders, startHarness } from './harness.js';

/**
 * Routing options from the config file's own shape (`routes:` and `routing:` as written in
 * YAML), so that tests exercise the same normalisation as `tollgate serve`.
 */
export function routingFrom(file: Pick<ConfigFile, 'routes' | 'routing'>, providers: readonly UpstreamProvider[], extra: Partial<RoutingOptions> = {}): RoutingOptions {
  const configs: ProviderConfig[] = providers.map((p) => ({ name: p.name, dialect: p.dialect, baseUrl: p.baseUrl, apiKey: p.apiKey, models: p.models ? [...p.models] : undefined, headers: { ...p.headers }, catalog: p.catalog }));
  return { ...routingConfig(file, configs, 10_000), ...extra };
}

/**
 * Routing where a route takes every model to a deployment on another account (`gpt-other`): what an
 * object an account keeps (a conversation, a vector store, a container) must never be sent through.
 */
export const everyModelRouted = (url: string): RoutingOptions =>
  routingFrom({ routing: { retry: { backoff_ms: 5, per_deployment: 1 }, affinity: { enabled: false } }, routes: [{ model: '*', deployments: [{ provider: 'openai', name: 'other-account', model: 'gpt-other' }] }] }, defaultProviders(url));

/** Picodollars per token (input, output) of the models the routing-rule tests move between. */
const RULE_RATES: Record<string, [bigint, bigint]> = {
  'claude-sonnet-4-5': [3n, 15n],
  'claude-haiku-4-5': [1n, 5n],
  'gpt-5': [10n, 80n],
  'gpt-5-mini': [2n, 16n],
  'gemini-2.5-pro': [4n, 40n],
  'gemini-2.5-flash': [1n, 8n],
};

/** Prices a row at RULE_RATES (the served model reported back is the requested one); other models unpriced. */
export const rulePrice: PriceFn = (r) => {
  const rate = RULE_RATES[r.model];
  return rate ? { costPicos: BigInt(r.usage.inputTokens) * rate[0] + BigInt(r.usage.outputTokens) * rate[1], unpriced: false } : { costPicos: null, unpriced: true };
};

export const ruleCost = (model: string, input: number, output: number): bigint => BigInt(input) * RULE_RATES[model]![0] + BigInt(output) * RULE_RATES[model]![1];

/** A deployment of `provider` named `name` whose requests carry `x-dep: name`, so that the fake upstream can tell them apart. */
export const taggedDeployment = (provider: string, name: string, extra: Record<string, unknown> = {}) => ({ provider, name, headers: { 'x-dep': name }, ...extra });

/** Matches the fake upstream's requests to the taggedDeployment `name`. */
export const sentTo = (name: string) => (r: RecordedRequest) => r.headers['x-dep'] === name;

/** A deployment's recent failures, as the gateway at `url` reports them (admin token `admin-secret`, as the harness sets). */
export async function recentFailures(url: string, deployment: string): Promise<number> {
  const res = await fetch(`${url}/admin/v1/routing/status`, { headers: { authorization: 'Bearer admin-secret' } });
  const status = (await res.json()) as RoutingStatusJson;
  return status.routes.flatMap((r) => r.deployments).find((d) => d.deployment === deployment)!.recent.failures;
}

/**
 * `routing:` for tests of a try held back and retried: the next try after 5 ms, one try a
 * deployment, no affinity, and failures that never cool a deployment down.
 */
export const QUICK_RETRY = { retry: { backoff_ms: 5, per_deployment: 1 }, affinity: { enabled: false }, health: { cooldown_failures: 100 } };

/** A route served by deployment `a` of `provider`, then `b` (tagged as taggedDeployment does). */
export const fallbackPair = (model: string, provider: string, a: string, b: string) => ({ model, deployments: [taggedDeployment(provider, a), taggedDeployment(provider, b, { order: 1 })] });

/** A harness whose routes retry as QUICK_RETRY says, on the default providers. */
export function startQuickRetry(routes: NonNullable<ConfigFile['routes']>): Promise<Harness> {
  return startHarness({ routing: (url) => routingFrom({ routing: QUICK_RETRY, routes }, defaultProviders(url)) });
}
