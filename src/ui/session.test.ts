import { describe, expect, it } from 'vitest';
import { SESSION_MS, clearedSessionCookie, sessionCookie, signedIn } from './session.js';

const TOKEN = 'admin-token-123';
const NOW = Date.UTC(2026, 11, 5, 12);
const cookieOf = (setCookie: string) => setCookie.split(';')[0]!;

describe('dashboard sessions', () => {
  it('accepts its own cookie until it expires, and not after', () => {
    const c = cookieOf(sessionCookie(TOKEN, NOW, false));
    expect(signedIn(c, TOKEN, NOW + 1)).toBe(true);
    expect(signedIn(`theme=dark; ${c}; other=1`, TOKEN, NOW + SESSION_MS - 1)).toBe(true);
    expect(signedIn(c, TOKEN, NOW + SESSION_MS)).toBe(false);
  });

  it('refuses a cookie signed with another token, a changed expiry, a cut signature or none', () => {
    const c = cookieOf(sessionCookie(TOKEN, NOW, false));
    expect(signedIn(c, 'another-token', NOW)).toBe(false);
    const [exp, sig] = c.slice(c.indexOf('=') + 1).split('.');
    expect(signedIn(`tollgate_ui=${Number(exp) + 1000}.${sig}`, TOKEN, NOW)).toBe(false);
    expect(signedIn(`tollgate_ui=${exp}.${sig!.slice(1)}`, TOKEN, NOW)).toBe(false);
    expect(signedIn(undefined, TOKEN, NOW)).toBe(false);
    expect(signedIn('tollgate_ui=', TOKEN, NOW)).toBe(false);
  });

  it('sets HttpOnly, SameSite=Strict and the /ui path, Secure over HTTPS; signing out clears it', () => {
    const set = sessionCookie(TOKEN, NOW, true);
    expect(set).toMatch(/; Path=\/ui; Max-Age=43200; HttpOnly; SameSite=Strict; Secure$/);
    expect(sessionCookie(TOKEN, NOW, false)).not.toContain('Secure');
    expect(clearedSessionCookie(false)).toBe('tollgate_ui=; Path=/ui; Max-Age=0; HttpOnly; SameSite=Strict');
  });
});
