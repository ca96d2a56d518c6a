import { createHmac } from 'node:crypto';
import { sameSecret } from '../identity/same-secret.js';

/**
 * The dashboard's sign-in: a browser cannot send the admin API's bearer token, so the token is
 * typed once into a form and exchanged for a cookie holding an expiry and an HMAC of it keyed by
 * the token itself. Nothing is stored: any replica with the same token accepts it, and changing
 * TOLLGATE_ADMIN_TOKEN signs everyone out.
 */
export const SESSION_COOKIE = 'tollgate_ui';
export const SESSION_MS = 12 * 3_600_000;


function signature(token: string, expiresAt: number): string {
  return createHmac('sha256', token).update(`tollgate-ui-session:${expiresAt}`).digest('base64url');
}

/** The Set-Cookie value that signs a browser in until now + SESSION_MS. `secure` when served over HTTPS. */
export function sessionCookie(token: string, now: number, secure: boolean): string {
  const expiresAt = now + SESSION_MS;
  return `${SESSION_COOKIE}=${expiresAt}.${signature(token, expiresAt)}; Path=/ui; Max-Age=${SESSION_MS / 1000}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/** The Set-Cookie value that signs a browser out. */
export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/ui; Max-Age=0; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/** Whether the request's Cookie header holds a session signed with `token` that has not expired. */
export function signedIn(cookieHeader: string | undefined, token: string, now: number): boolean {
  for (const part of (cookieHeader ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const m = /^(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(part.slice(eq + 1).trim());
    if (m && Number(m[1]) > now && sameSecret(m[2]!, signature(token, Number(m[1])))) return true;
  }
  return false;
}
