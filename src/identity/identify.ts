import { cutText, headerText } from '../core/header-text.js';
import { GatewayError } from '../core/errors.js';
import { sameSecret } from './same-secret.js';
import { type AuthThrottle, retryAfterSeconds, throttledMessage, throttledTry } from './auth-throttle.js';
import { type RequestFrom, clientOf } from './client-address.js';
import { keyRefusal } from './key-validity.js';
import type { Credential, HeaderBag } from '../providers/types.js';
import { detectClient, detectClientVersion, detectSession } from './client.js';
import { codexAgent, codexTurnMetadata } from './codex-agent.js';
import { AGENT_ID_TAG, CLIENT_VERSION_TAG, PARENT_AGENT_ID_TAG } from '../core/ledger-row.js';
import type { KeyResolver } from './key-resolver.js';
import { parseTags } from './tags.js';
import type { StoredObjectsMode } from './stored-objects.js';
import { fingerprint, isVirtualKey } from './virtual-keys.js';

export interface AuthPolicy {
  passthrough: 'allow' | 'deny';
  anonymous: 'allow' | 'deny';
  /** TOLLGATE_ADMIN_TOKEN, when set: refused as an API key rather than passed through to a provider. */
  adminToken?: string;
  /**
   * Wrong admin tokens counted per client address. With `passthrough: deny` a key that is not a
   * Tollgate key is a wrong admin token or none (its refusal would otherwise tell which, at full
   * speed), so it counts, and a refused address is refused here too; with `allow` it is a provider key.
   */
  throttle?: AuthThrottle;
  /** `auth.stored_objects`: which keys may use an object another key made (`team` when absent). */
  storedObjects?: StoredObjectsMode;
}

/** Who is calling, and which key goes upstream. */
export interface Identity {
  keyId: string | null;
  user: string | null;
  team: string | null;
  /** The Tollgate key's own team (never a header's): whose stored objects the caller shares (stored-objects.ts). */
  keyTeam: string | null;
  project: string | null;
  sessionId: string | null;
  client: string | null;
  tags: Record<string, string>;
  /** 'configured': use the provider's key; 'passthrough': forward the client's own key. */
  upstreamKey: { kind: 'configured' } | { kind: 'passthrough'; key: string };
  /** Set when the key was revoked or expired, or an attribution header is malformed: the request is refused with it, once its row names the caller. */
  refusal?: GatewayError;
}

/**
 * Resolves the caller. A virtual key's own user, team and project win over headers;
 * `x-tollgate-*` headers fill what the key leaves blank (and attribute pass-through traffic).
 * A missing or unknown key is refused first (401, as providers do); a revoked or expired key
 * comes back as `refusal` with its attribution (so its row names it), ahead of malformed tags.
 */
export async function identify(cred: Credential | undefined, headers: HeaderBag, keys: KeyResolver, policy: AuthPolicy, from?: RequestFrom): Promise<Identity> {
  const tags = headers['x-tollgate-tags'];
  const tagResult = parseTags(tags === undefined ? undefined : headerText(tags));
  // Codex's turn metadata, read once for the session and the sub-agent.
  const codexMeta = codexTurnMetadata(headers);
  // Built field by field: spreading a base object and then overriding its fields is slow in V8.
  const who: Identity = {
    keyId: null,
    user: header(headers, 'x-tollgate-user'),
    team: header(headers, 'x-tollgate-team'),
    keyTeam: null,
    project: header(headers, 'x-tollgate-project'),
    sessionId: detectSession(headers, codexMeta),
    client: detectClient(headers),
    tags: 'error' in tagResult ? {} : tagResult.tags,
    upstreamKey: CONFIGURED,
  };
  // What the client's headers say wins over a tag of that name it sent; with none, its tag stays.
  const version = detectClientVersion(headers);
  if (version !== null) who.tags[CLIENT_VERSION_TAG] = version;
  // Claude Code names the subagent that sends a request, and its parent; set as the version is.
  // Codex names its sub-agent's thread, and the thread that spawned it, in its turn metadata.
  const codex = codexAgent(headers, codexMeta);
  const agent = header(headers, 'x-claude-code-agent-id') ?? text(codex?.agent);
  if (agent !== null) who.tags[AGENT_ID_TAG] = agent;
  const parent = header(headers, 'x-claude-code-parent-agent-id') ?? text(codex?.parent);
  if (parent !== null) who.tags[PARENT_AGENT_ID_TAG] = parent;
  // Returned with the caller, not thrown: the key's own refusals below come first.
  if ('error' in tagResult) who.refusal = new GatewayError('invalid_request', tagResult.error);
  if (!cred) {
    if (policy.anonymous === 'allow') return who;
    throw new GatewayError('missing_api_key', 'No API key: send a Tollgate virtual key (tg_…) where your SDK sends its API key.');
  }
  if (isVirtualKey(cred.key)) {
    const rec = await keys.resolve(cred.key);
    if (!rec) throw new GatewayError('invalid_api_key', 'This Tollgate key is not valid here. Check the key; a key made with `tollgate keys create` works on the gateways that share its storage (give it the same --config or --db as the gateway).');
    who.keyId = rec.id;
    who.user = rec.user ?? who.user;
    who.team = rec.team ?? who.team;
    who.keyTeam = rec.team;
    who.project = rec.project ?? who.project;
    // A revoked or expired key is still the key it was: its refusal's row names whose tools still send it.
    const refused = keyRefusal(rec, Date.now());
    if (refused) who.refusal = new GatewayError(refused.code, refused.message);
    return who;
  }
  const throttle = policy.passthrough === 'deny' ? policy.throttle : undefined;
  // The client's address is worked out only where it counts: most requests never need it.
  const attempt = throttledTry(throttle, throttle && from ? clientOf(from) : undefined);
  if (attempt.wait > 0) throw new GatewayError('too_many_auth_failures', throttledMessage(attempt.wait), { headers: { 'retry-after': retryAfterSeconds(attempt.wait) } });
  // Sent where an API key goes (a client given the wrong secret), it would otherwise go upstream as a provider key.
  if (policy.adminToken && sameSecret(cred.key, policy.adminToken)) {
    const own = policy.passthrough === 'deny' ? '' : ' or your own provider key';
    throw new GatewayError('invalid_api_key', `This is the admin token (TOLLGATE_ADMIN_TOKEN), not an API key: it opens the admin API and is never sent to a provider. Send a Tollgate virtual key (tg_…)${own}.`);
  }
  if (policy.passthrough === 'deny') {
    attempt.failed();
    throw new GatewayError('passthrough_forbidden', 'Provider keys are not accepted here: use a Tollgate virtual key (tg_…).');
  }
  who.keyId = fingerprint(cred.key);
  who.upstreamKey = { kind: 'passthrough', key: cred.key };
  return who;
}

const CONFIGURED = { kind: 'configured' } as const;

/** An attribution header's value, at most 200 characters (docs/clients.md). */
function header(h: HeaderBag, name: string): string | null {
  return text(h[name]);
}

function text(value: string | null | undefined): string | null {
  const v = value?.trim();
  return v ? cutText(headerText(v), 200) : null;
}
