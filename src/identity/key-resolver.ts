import type { KeyRecord, KeyStore } from '../storage/ports.js';
import { hashKey } from './virtual-keys.js';

/**
 * Looks up virtual keys with a short cache, so the hot path does not read storage on
 * every request. A revocation made in this process takes effect at once; one made by
 * another process (the CLI, another replica) within `ttlMs`.
 */
export class KeyResolver {
  private readonly cache = new Map<string, { record: KeyRecord | undefined; until: number }>();
  private readonly store: KeyStore;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(store: KeyStore, ttlMs = 2000, now: () => number = Date.now) {
    this.store = store;
    this.ttlMs = ttlMs;
    this.now = now;
  }

  async resolve(key: string): Promise<KeyRecord | undefined> {
    // Keyed by the key itself (memory only), so a hit costs no hashing.
    const hit = this.cache.get(key);
    const t = this.now();
    if (hit && hit.until > t) return hit.record;
    const record = await this.store.findByHash(hashKey(key));
    if (this.cache.size > 100_000) this.cache.clear();
    this.cache.set(key, { record, until: t + this.ttlMs });
    return record;
  }

  /** Forget everything (after a revoke through the admin API). */
  invalidate(): void {
    this.cache.clear();
  }
}
