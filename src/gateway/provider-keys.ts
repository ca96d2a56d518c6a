import { GatewayError } from '../core/errors.js';
import type { UpstreamProvider } from './select-provider.js';

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
