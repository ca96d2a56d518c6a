import { shownUrl } from '../core/url-text.js';
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
    `Tollgate has no API key for provider "${p.name}" (${shownUrl(p.baseUrl)}), and the request brought no provider key of its own (a Tollgate key stands in for one only where the config has it): set providers[].api_key for it in Tollgate's config, or send your own provider key.`,
  );
}

/**
 * As `checkProviderKey`, for a route's candidates: without the client's own provider key,
 * a deployment of a hosted API with no key cannot answer, so it is left out (its 401 would
 * otherwise be the client's answer, or cost a retry). Refused when none is left.
 */
export function reachableCandidates<C extends { d: { id: string; apiKey: string | undefined; keyRequired?: boolean } }>(route: string, candidates: C[], passthrough: boolean): C[] {
  if (passthrough || candidates.length === 0) return candidates;
  const keyed = candidates.filter((c) => !lacksProviderKey(c.d));
  if (keyed.length > 0) return keyed;
  throw new GatewayError(
    'provider_key_missing',
    `Tollgate has no API key for any deployment of the route "${route}" (${candidates.map((c) => c.d.id).join(', ')}), and the request brought no provider key of its own: set api_key on its deployments or their providers in Tollgate's config, or send your own provider key.`,
  );
}
