import { timingSafeEqual } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import type { KeyResolver } from '../identity/key-resolver.js';
import { identifySender } from './sender.js';

vi.mock('node:crypto', async (original) => {
  const crypto = await original<typeof import('node:crypto')>();
  return { ...crypto, timingSafeEqual: vi.fn(crypto.timingSafeEqual) };
});

const auth = { keys: {} as KeyResolver, adminToken: 'the-admin-token-of-32-characters', anonymous: 'deny' as const };

describe('identifySender', () => {
  it('compares a token with the admin token in constant time whatever its length, so no answer tells the token length', async () => {
    for (const token of ['short', 'the-admin-token-of-32-characterX', 'x'.repeat(100)]) {
      vi.mocked(timingSafeEqual).mockClear();
      expect(await identifySender(auth, { authorization: `Bearer ${token}` })).toMatchObject({ status: 401 });
      expect(timingSafeEqual, token).toHaveBeenCalledTimes(1);
    }
    expect(await identifySender(auth, { authorization: `Bearer ${auth.adminToken}` })).toMatchObject({ keyId: null });
  });
});
