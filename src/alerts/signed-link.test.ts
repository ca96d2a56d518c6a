import { describe, expect, it } from 'vitest';
import { signDecisionLink, verifyDecisionLink } from './signed-link.js';

const SECRET = 'a-long-random-signing-secret';
const EXP = Date.parse('2026-12-01T00:00:00Z');
const BEFORE = EXP - 60_000;

function parts(link: string): { path: string; exp: number; sig: string } {
  const u = new URL(link);
  return { path: u.pathname, exp: Number(u.searchParams.get('exp')), sig: u.searchParams.get('sig') ?? '' };
}

describe('signed decision links', () => {
  it('builds the link under the public URL and verifies it', () => {
    const link = signDecisionLink('https://tollgate.example/gw/', SECRET, 'inc_1', 'approve', EXP);
    expect(link).toMatch(new RegExp(`^https://tollgate\\.example/gw/approvals/inc_1/approve\\?exp=${EXP}&sig=[A-Za-z0-9_-]{43}$`));
    const { exp, sig } = parts(link);
    expect(verifyDecisionLink(SECRET, 'inc_1', 'approve', exp, sig, BEFORE)).toBe('ok');
  });

  it('expires at exp', () => {
    const { exp, sig } = parts(signDecisionLink('https://t.example', SECRET, 'inc_1', 'deny', EXP));
    expect(verifyDecisionLink(SECRET, 'inc_1', 'deny', exp, sig, EXP)).toBe('expired');
  });

  it('rejects any change to id, action, expiry, signature or secret', () => {
    const { exp, sig } = parts(signDecisionLink('https://t.example', SECRET, 'inc_1', 'approve', EXP));
    const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    expect(verifyDecisionLink(SECRET, 'inc_2', 'approve', exp, sig, BEFORE)).toBe('bad_signature');
    expect(verifyDecisionLink(SECRET, 'inc_1', 'deny', exp, sig, BEFORE)).toBe('bad_signature');
    expect(verifyDecisionLink(SECRET, 'inc_1', 'approve', exp + 86_400_000, sig, BEFORE)).toBe('bad_signature');
    expect(verifyDecisionLink(SECRET, 'inc_1', 'approve', exp, flipped, BEFORE)).toBe('bad_signature');
    expect(verifyDecisionLink(SECRET, 'inc_1', 'approve', exp, sig.slice(0, -2), BEFORE)).toBe('bad_signature');
    expect(verifyDecisionLink(SECRET, 'inc_1', 'approve', exp, `${sig}!`, BEFORE)).toBe('bad_signature');
    expect(verifyDecisionLink(SECRET, 'inc_1', 'approve', exp, '', BEFORE)).toBe('bad_signature');
    expect(verifyDecisionLink(SECRET, 'inc_1', 'approve', Number.NaN, sig, BEFORE)).toBe('bad_signature');
    expect(verifyDecisionLink('another-secret-of-some-length', 'inc_1', 'approve', exp, sig, BEFORE)).toBe('bad_signature');
  });

  it('calls a tampered expired link bad, not expired', () => {
    const { exp, sig } = parts(signDecisionLink('https://t.example', SECRET, 'inc_1', 'approve', EXP));
    expect(verifyDecisionLink(SECRET, 'inc_1', 'approve', exp - 1, sig, EXP + 1)).toBe('bad_signature');
  });

  it('encodes ids that need it', () => {
    const link = signDecisionLink('https://t.example', SECRET, 'inc/ 1', 'approve', EXP);
    expect(parts(link).path).toBe('/approvals/inc%2F%201/approve');
    expect(verifyDecisionLink(SECRET, 'inc/ 1', 'approve', EXP, parts(link).sig, BEFORE)).toBe('ok');
  });
});
