import { createHmac, timingSafeEqual } from 'node:crypto';

export type DecisionAction = 'approve' | 'deny';
export type LinkCheck = 'ok' | 'expired' | 'bad_signature';

/** How long every signed link in an alert works: approve/deny, an anomaly's evidence, a budget's spend. */
export const LINK_DAYS = 7;
export const LINK_MS = LINK_DAYS * 86_400_000;

/** `alerts.public_url` and `alerts.signing_secret`: alerts carry signed links only with both. */
export interface SignedLinks {
  /** Base of the links. */
  publicUrl: string;
  secret: string;
}

/**
 * A link that lets whoever holds it approve or deny one increase request until `expiresAt`,
 * without logging in: the alert channel is the approvers' channel. The signature covers
 * the id, the action and the expiry, so none of them can be changed.
 */
export function signDecisionLink(baseUrl: string, secret: string, increaseId: string, action: DecisionAction, expiresAt: number): string {
  const exp = Math.floor(expiresAt);
  const base = baseUrl.replace(/\/+$/, '');
  return `${base}/approvals/${encodeURIComponent(increaseId)}/${action}?exp=${exp}&sig=${signPayload(secret, decisionPayload(increaseId, action), exp)}`;
}

/** Checks the signature before the expiry, so only an authentic link is ever called expired. */
export function verifyDecisionLink(secret: string, increaseId: string, action: DecisionAction, exp: number, sig: string, now: number): LinkCheck {
  return verifySigned(secret, decisionPayload(increaseId, action), exp, sig, now);
}

function decisionPayload(increaseId: string, action: DecisionAction): string {
  return `tollgate-decision-v1\n${increaseId}\n${action}`;
}

/** The HMAC of a link's payload and expiry (base64url), the one way every signed link is signed. */
export function signPayload(secret: string, payload: string, exp: number): string {
  return createHmac('sha256', secret).update(`${payload}\n${exp}`).digest('base64url');
}

/** Whether `sig` signs this payload and expiry with the secret, then whether it is still before `exp`. */
export function verifySigned(secret: string, payload: string, exp: number, sig: string, now: number): LinkCheck {
  if (!Number.isSafeInteger(exp)) return 'bad_signature';
  const expected = Buffer.from(signPayload(secret, payload, exp), 'base64url');
  const given = Buffer.from(sig, 'base64url');
  // Buffer.from drops characters that are not base64url, so a re-encoded comparison rules out look-alikes.
  if (given.toString('base64url') !== sig || given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad_signature';
  return now >= exp ? 'expired' : 'ok';
}

/** A signed link's fields, in order: each a value, or several for a repeated parameter. */
export type SignedFields = readonly (readonly [string, string | readonly string[]])[];

/**
 * The query of a link that shows `kind` (an evidence page, a budget's spend) to whoever holds
 * it until `exp`: the fields as given, then `exp` and `sig`, the signature covering every value
 * of every field in order, so that none can be changed, added or dropped.
 */
export function signQuery(secret: string, kind: string, fields: SignedFields, exp: number): URLSearchParams {
  const q = new URLSearchParams();
  for (const [name, value] of fields) for (const v of typeof value === 'string' ? [value] : value) q.append(name, v);
  q.set('exp', String(exp));
  q.set('sig', signPayload(secret, queryPayload(kind, fields.map(([n]) => n), q), exp));
  return q;
}

/** Whether `q` holds a valid, unexpired signature of `kind` over the named fields. */
export function verifyQuery(secret: string, kind: string, names: readonly string[], q: URLSearchParams, now: number): LinkCheck {
  const exp = /^\d{1,16}$/.test(q.get('exp') ?? '') ? Number(q.get('exp')) : NaN;
  return verifySigned(secret, queryPayload(kind, names, q), exp, q.get('sig') ?? '', now);
}

function queryPayload(kind: string, names: readonly string[], q: URLSearchParams): string {
  return `tollgate-${kind}-v1\n${JSON.stringify(names.map((n) => q.getAll(n)))}`;
}
