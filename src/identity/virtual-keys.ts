import { hash } from 'node:crypto';
import { FINGERPRINT_PREFIX, randomToken } from '../core/ids.js';

export const VIRTUAL_KEY_PREFIX = 'tg_';

export function isVirtualKey(key: string): boolean {
  return key.startsWith(VIRTUAL_KEY_PREFIX);
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
