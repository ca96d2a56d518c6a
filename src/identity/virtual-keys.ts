import { hash } from 'node:crypto';
import { FINGERPRINT_PREFIX, randomToken } from '../core/ids.js';

export const VIRTUAL_KEY_PREFIX = 'tg_';

export function isVirtualKey(key: string): boolean {
  return key.startsWith(VIRTUAL_KEY_PREFIX);
}

// Shorter than a real key (43 characters after the prefix), so a cut or made-up one counts too.
const VIRTUAL_KEY_IN_TEXT = /(?:^|[^A-Za-z0-9_-])tg_[A-Za-z0-9_-]{16,}/;

/** Whether a header or query value holds something shaped like a virtual key, wherever in it (`Bearer tg_…`, `k=tg_…`). */
export function carriesVirtualKey(value: string): boolean {
  return value.includes(VIRTUAL_KEY_PREFIX) && VIRTUAL_KEY_IN_TEXT.test(value);
}

/**
 * A new virtual key: 32 random bytes, shown once. Only its SHA-256 is stored. A slow
 * password hash would add nothing here: the key has 256 bits of entropy, so it cannot
 * be guessed from its hash, and lookup stays one indexed read.
 */
export function generateKey(): { key: string; hash: string; prefix: string } {
  const key = VIRTUAL_KEY_PREFIX + randomToken(32);
  return { key, hash: hashKey(key), prefix: key.slice(0, 10) };
}

export function hashKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** A stable, non-reversible id for a provider key passed through, so spend is attributable without storing the key. */
export function fingerprint(providerKey: string): string {
  return FINGERPRINT_PREFIX + hash('sha256', providerKey, 'hex').slice(0, 16);
}

export function newKeyId(): string {
  return 'key_' + randomToken(9);
}
