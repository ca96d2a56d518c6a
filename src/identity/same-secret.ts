import { createHash, timingSafeEqual } from 'node:crypto';

/** Whether a given secret equals the expected one, in time that tells neither where they differ nor how long the secret is. */
export function sameSecret(given: string, want: string): boolean {
  // Digests of equal length: comparing the texts themselves would end early on a length that differs, telling the token's length.
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(want).digest());
}
