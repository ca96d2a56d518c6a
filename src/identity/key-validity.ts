import { isoOrNull, parseInstant, spanMs } from '../core/instant.js';
import type { KeyRecord } from '../storage/ports.js';

/** Why a virtual key that exists may not be used now, or undefined when it may. */
export interface KeyRefusal {
  code: 'revoked_api_key' | 'expired_api_key';
  message: string;
}

/** Revoked, or past its expiry: the same answer from the gateway, `/admin/v1/me` and the OTLP receiver. */
export function keyRefusal(rec: KeyRecord, now: number): KeyRefusal | undefined {
  if (rec.revokedAt !== null) return { code: 'revoked_api_key', message: `Tollgate key ${rec.id} was revoked. Ask your admin for a new key.` };
  if (rec.expiresAt !== null && rec.expiresAt <= now) {
    return { code: 'expired_api_key', message: `Tollgate key ${rec.id} expired at ${isoOrNull(rec.expiresAt) ?? rec.expiresAt}. Ask your admin for a new key.` };
  }
  return undefined;
}

/** The longest a key may be given: past it a typo (`3000d` for `300d`) is more likely than intent. */
const MAX_EXPIRY_MS = 10 * 366 * 86_400_000;

/**
 * When a key given `--expires` (or `expires` in the admin API) stops working: a span from now
 * (`12h`, `30d`, `2w`), a date (`2027-01-31`, midnight UTC at its start) or an ISO timestamp.
 * Throws a RangeError that says what is accepted, and refuses a time already past.
 */
export function parseExpiry(text: string, now: number): number {
  const span = spanMs(text);
  const at = span !== undefined ? now + span : parseInstant(text);
  if (at === undefined) throw new RangeError(`expires "${text}" is not a time: use a span like 12h, 30d or 2w, a date like 2027-01-31, or an ISO timestamp`);
  if (at <= now) throw new RangeError(`expires "${text}" is not in the future (${isoOrNull(at) ?? at})`);
  if (at - now > MAX_EXPIRY_MS) throw new RangeError(`expires "${text}" is more than ten years away; leave it out for a key that does not expire`);
  return at;
}
