import { shownUrl } from '../core/url-text.js';
import { GatewayError } from '../core/errors.js';
import type { AuthPolicy, Identity } from '../identity/identify.js';
import type { UpstreamProvider } from './select-provider.js';

/**
 * Which provider key a request goes upstream with: the client's own, passed through (`own`), or
 * the configured one, a client's own being accepted (`allow`) or refused (`deny`) by auth.passthrough.
 */
export type KeySource = 'own' | AuthPolicy['passthrough'];

export function keySource(who: Pick<Identity, 'upstreamKey'>, auth: Pick<AuthPolicy, 'passthrough'>): KeySource {
  return who.upstreamKey.kind === 'passthrough' ? 'own' : auth.passthrough;
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
export function checkProviderKey(p: UpstreamProvider, keys: KeySource): void {
  if (keys === 'own' || !lacksProviderKey(p)) return;
  throw new GatewayError('provider_key_missing', `Tollgate has no API key for provider "${p.name}" (${shownUrl(p.baseUrl)}), and the request brought no provider key of its own (a Tollgate key stands in for one only where the config has it): ${remedy(keys, "set providers[].api_key for it in Tollgate's config")}.`);
}

/**
 * As `checkProviderKey`, for a route's candidates: without the client's own provider key,
 * a deployment of a hosted API with no key cannot answer, so it is left out (its 401 would
 * otherwise be the client's answer, or cost a retry). Refused when none is left.
 */
export function reachableCandidates<C extends { d: { id: string; apiKey: string | undefined; keyRequired?: boolean } }>(route: string, candidates: C[], keys: KeySource): C[] {
  if (keys === 'own' || candidates.length === 0) return candidates;
  const keyed = candidates.filter((c) => !lacksProviderKey(c.d));
  if (keyed.length > 0) return keyed;
  throw new GatewayError(
    'provider_key_missing',
    `Tollgate has no API key for any deployment of the route "${route}" (${candidates.map((c) => c.d.id).join(', ')}), and the request brought no provider key of its own: ${remedy(keys, "set api_key on its deployments or their providers in Tollgate's config")}.`,
  );
}

/** What fixes it: the config's key, or the client's own where auth.passthrough lets one through. */
function remedy(keys: Exclude<KeySource, 'own'>, config: string): string {
  return keys === 'allow' ? `${config}, or send your own provider key` : `${config} (a client's own provider key is refused here: auth.passthrough is deny)`;
}
