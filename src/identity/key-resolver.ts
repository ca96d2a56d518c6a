import { GatewayError } from '../core/errors.js';
import { within } from '../core/within.js';
import type { KeyRecord, KeyStore } from '../storage/ports.js';
import { hashKey } from './virtual-keys.js';

/**
 * Looks up virtual keys with a short cache, so the hot path does not read storage on
 * every request. A revocation made in this process takes effect at once; one made by
 * another process (the CLI, another replica) within `ttlMs`.
 *
 * While storage is down (a lookup fails, or takes longer than `lookupTimeoutMs`), a key
 * this process has seen keeps its last known state, so traffic goes on (its rows wait in
 * the spool); a key never seen is refused with 503 `storage_unavailable`.
 */
export class KeyResolver {
  private readonly cache = new Map<string, { record: KeyRecord | undefined; until: number }>();
  private readonly store: KeyStore;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly lookupTimeoutMs: number;

  constructor(store: KeyStore, ttlMs = 2000, now: () => number = Date.now, lookupTimeoutMs = 3000) {
    this.store = store;
    this.ttlMs = ttlMs;
    this.now = now;
    this.lookupTimeoutMs = lookupTimeoutMs;
  }

  async resolve(key: string): Promise<KeyRecord | undefined> {
    // Keyed by the key itself (memory only), so a hit costs no hashing.
    const hit = this.cache.get(key);
    const t = this.now();
    if (hit && hit.until > t) return hit.record;
    let record: KeyRecord | undefined;
    try {
      record = await within(this.store.findByHash(hashKey(key)), this.lookupTimeoutMs, `no answer from storage within ${this.lookupTimeoutMs} ms`);
    } catch (err) {
      if (hit) {
        // Asked again after another ttl, not on every request while storage is down.
        hit.until = t + this.ttlMs;
        return hit.record;
      }
      throw new GatewayError('storage_unavailable', 'Tollgate cannot reach its key store to check this key; retry shortly.', { cause: err, headers: { 'retry-after': '5' } });
    }
    if (this.cache.size > 100_000) this.cache.clear();
    this.cache.set(key, { record, until: t + this.ttlMs });
    return record;
  }

  /** Forget everything (after a revoke through the admin API). */
  invalidate(): void {
    this.cache.clear();
  }
}
