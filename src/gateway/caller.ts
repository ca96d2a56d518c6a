import { type AuthPolicy, type Identity, identify } from '../identity/identify.js';
import type { RequestFrom } from '../identity/client-address.js';
import type { KeyResolver } from '../identity/key-resolver.js';
import type { RequestFacts } from '../metering/build-row.js';
import type { Credential, DialectAdapter, HeaderBag } from '../providers/types.js';
import { dropVirtualKeys } from './headers.js';

/** Who sent a request: the credential it carried (and where), and what identifying it found. */
export interface Caller {
  cred: Credential | undefined;
  who: Identity;
}

/**
 * Identifies the caller of an HTTP request or a socket's handshake and writes who it is on the
 * row's facts, before a refusal (a bad key, malformed attribution) is thrown: the row of a refused
 * request names who was refused.
 */
export async function identifyCaller(adapter: DialectAdapter, headers: HeaderBag, query: URLSearchParams, deps: { keys: KeyResolver; auth: AuthPolicy }, facts: RequestFacts, from?: RequestFrom): Promise<Caller> {
  const cred = adapter.readCredential(headers, query);
  const who = await identify(cred, headers, deps.keys, deps.auth, from);
  attribute(facts, who);
  if (who.refusal) throw who.refusal;
  return { cred, who };
}

/** A row's attribution: the caller's key, user, team, project, session, client and tags. */
export function attribute(facts: RequestFacts, who: Pick<Identity, 'keyId' | 'user' | 'team' | 'project' | 'sessionId' | 'client' | 'tags'>): void {
  Object.assign(facts, { keyId: who.keyId, user: who.user, team: who.team, project: who.project, sessionId: who.sessionId, client: who.client, tags: who.tags });
}

/**
 * The credential that goes upstream: a provider key the caller passed through goes back where it
 * was sent; else the provider's configured key (`apiKey`) where the dialect puts one; else the
 * caller's credential (a Tollgate key) is taken off.
 */
export function writeUpstreamCredential(adapter: DialectAdapter, out: HeaderBag, query: URLSearchParams, { who, cred }: Caller, apiKey: string | undefined): void {
  dropVirtualKeys(query);
  if (who.upstreamKey.kind === 'passthrough') adapter.writeCredential(out, query, who.upstreamKey.key, cred?.where);
  else if (apiKey !== undefined) adapter.writeCredential(out, query, apiKey, undefined);
  else removeCredential(out, query, cred?.where);
}

/** Takes the caller's credential off where it was sent (a Tollgate key must not reach a provider). */
function removeCredential(h: HeaderBag, query: URLSearchParams, where: string | undefined): void {
  if (where === 'query-key') query.delete('key');
  else if (where) delete h[where];
}
