import type { Dialect } from '../core/api.js';
import { GatewayError } from '../core/errors.js';
import { compileGlobs } from '../core/glob.js';

export interface UpstreamProvider {
  name: string;
  dialect: Dialect;
  /** Origin plus optional path prefix, no trailing slash. */
  baseUrl: string;
  apiKey: string | undefined;
  models: readonly string[] | undefined;
  headers: Readonly<Record<string, string>>;
  /** The pricing catalog's provider id, when known. */
  catalog: string | undefined;
  /** Client dialects this provider also serves, translated into its own (src/translation). */
  translateFrom?: readonly Dialect[];
  /** A hosted API (the price catalog knows it by its URL), which refuses a request without a key; a local server may need none. */
  keyRequired?: boolean;
}

export interface ProviderTable {
  select(dialect: Dialect, model: string, explicitName: string | undefined): UpstreamProvider;
  byName(name: string): UpstreamProvider | undefined;
  readonly all: readonly UpstreamProvider[];
}

/**
 * The provider that serves a request: `/p/{name}` names one explicitly; otherwise the
 * first provider of the route's dialect (or translating from it, `translate_from`) whose
 * model globs match, else the first provider of that dialect, else the first that
 * translates from it. A provider of another dialect means the exchange is translated.
 */
export function providerTable(providers: readonly UpstreamProvider[]): ProviderTable {
  const matchers = new Map(providers.map((p) => [p, p.models ? compileGlobs(p.models) : undefined]));
  return {
    all: providers,
    byName: (name) => providers.find((p) => p.name === name),
    select(dialect, model, explicitName) {
      if (explicitName !== undefined) {
        const p = providers.find((x) => x.name === explicitName);
        if (!p) throw new GatewayError('unknown_provider', `No provider named "${explicitName}" is configured.`);
        if (p.dialect !== dialect && !serves(p, dialect)) {
          throw new GatewayError('invalid_request', `Provider "${p.name}" speaks the ${p.dialect} API, not ${dialect}.`);
        }
        return p;
      }
      const candidates = providers.filter((p) => p.dialect === dialect || serves(p, dialect));
      const byGlob = model ? candidates.find((p) => matchers.get(p)?.(model)) : undefined;
      const chosen = byGlob ?? candidates.find((p) => p.dialect === dialect) ?? candidates[0];
      if (!chosen) throw new GatewayError('no_provider', `No ${dialect} provider is configured.`);
      return chosen;
    },
  };
}

/** Whether the provider is a hosted API with no `api_key` configured: only a client's own provider key can reach it. */
export function lacksProviderKey(p: Pick<UpstreamProvider, 'apiKey' | 'keyRequired'>): boolean {
  return p.apiKey === undefined && p.keyRequired === true;
}

/**
 * Refuses, before anything goes upstream, a request that would reach a hosted API with
 * no key at all: a Tollgate key (or none) while the provider has no `api_key`. Otherwise the
 * provider's own 401 would tell the client it sent no key, which it did.
 */
export function checkProviderKey(p: UpstreamProvider, passthrough: boolean): void {
  if (passthrough || !lacksProviderKey(p)) return;
  throw new GatewayError(
    'provider_key_missing',
    `Tollgate has no API key for provider "${p.name}" (${p.baseUrl}), and the request brought no provider key of its own (a Tollgate key stands in for one only where the config has it): set providers[].api_key for it in Tollgate's config, or send your own provider key.`,
  );
}

/** As `checkProviderKey`, for a route: refused when not one of its deployments has a key to send. */
export function checkRouteKeys(route: string, deployments: readonly { id: string; apiKey: string | undefined; keyRequired?: boolean }[], passthrough: boolean): void {
  if (passthrough || deployments.length === 0 || !deployments.every(lacksProviderKey)) return;
  throw new GatewayError(
    'provider_key_missing',
    `Tollgate has no API key for any deployment of the route "${route}" (${deployments.map((d) => d.id).join(', ')}), and the request brought no provider key of its own: set api_key on its deployments or their providers in Tollgate's config, or send your own provider key.`,
  );
}

function serves(p: UpstreamProvider, dialect: Dialect): boolean {
  return p.translateFrom?.includes(dialect) ?? false;
}
