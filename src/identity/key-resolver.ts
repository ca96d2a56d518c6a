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
 * the spool); a key never seen is refused with 503 `storage_unavailable`. A key storage does
 * not know is remembered for `ttlMs` only, and at most UNKNOWN_KEYS of them: anyone can send
 * made-up keys, and kept for good they grew memory by 170 bytes each.
 *
 * Once a lookup has failed, and until one succeeds, a seen key whose time is up is served its
 * last known state at once while storage is asked again behind it, at most `ttlMs` after that
 * key's last failed lookup: a hung storage costs one request the lookup timeout, not every
 * request after the cache runs out. So does a seen key whose lookup is already under way.
 *
 * Concurrent lookups of one key share one storage query, kept until storage answers (not only
 * until the caller stops waiting): with storage slow, a burst of requests with an uncached key
 * would otherwise take a connection each and drain the pool.
 */
/** Unknown keys remembered at once (each for one ttl); past it the oldest go. */
export const UNKNOWN_KEYS = 1000;

export class KeyResolver {
  /** Keys storage knows: their last known state, kept past the ttl as the storage-down fallback. */
  private readonly cache = new Map<string, { record: KeyRecord; until: number }>();
  /** Keys storage does not know, until when that answer holds, oldest first. */
  private readonly unknown = new Map<string, number>();
  private readonly store: KeyStore;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly lookupTimeoutMs: number;
  /** Storage queries under way, by key, until storage answers. */
  private readonly inflight = new Map<string, Promise<KeyRecord | undefined>>();
  /** Bumped by revoked(): a lookup started before must not cache what it read. */
  private generation = 0;
  /** The last lookup failed (or timed out), and none has succeeded since. */
  private failing = false;

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
    const miss = this.unknown.get(key);
    if (miss !== undefined && miss > t) return undefined;
    if (hit && (this.failing || this.inflight.has(key))) {
      // Asked again behind this request; its answer (or failure) updates the entry.
      void this.lookup(key).catch(() => undefined);
      return hit.record;
    }
    const generation = this.generation;
    try {
      return await within(this.lookup(key), this.lookupTimeoutMs, `no answer from storage within ${this.lookupTimeoutMs} ms`);
    } catch (err) {
      // A lookup still under way when the wait ran out counts as failed too.
      this.failed(key, generation);
      if (hit) return hit.record;
      throw new GatewayError('storage_unavailable', 'Tollgate cannot reach its key store to check this key; retry shortly.', { cause: err, headers: { 'retry-after': '5' } });
    }
  }

  /** The key's query in flight, or a new one; its answer is cached, a failure is not (the next request asks again). */
  private lookup(key: string): Promise<KeyRecord | undefined> {
    const running = this.inflight.get(key);
    if (running) return running;
    const generation = this.generation;
    const t = this.now();
    const p = this.store
      .findByHash(hashKey(key))
      .then(
        (record) => {
          if (generation === this.generation) {
            this.failing = false;
            this.remember(key, record, t);
          }
          return record;
        },
        (err: unknown) => {
          this.failed(key, generation);
          throw err;
        },
      )
      .finally(() => {
        if (this.inflight.get(key) === p) this.inflight.delete(key);
      });
    this.inflight.set(key, p);
    return p;
  }

  /** A lookup of `key` failed: storage counts as failing, and a seen key is asked again `ttlMs` from now, not at once. */
  private failed(key: string, generation: number): void {
    if (generation !== this.generation) return;
    this.failing = true;
    const hit = this.cache.get(key);
    if (hit) hit.until = this.now() + this.ttlMs;
  }

  private remember(key: string, record: KeyRecord | undefined, t: number): void {
    this.unknown.delete(key);
    if (record) {
      if (this.cache.size > 100_000) this.cache.clear();
      this.cache.set(key, { record, until: t + this.ttlMs });
      return;
    }
    this.cache.delete(key);
    // Oldest first: drop those past their time, then make room.
    for (const [k, until] of this.unknown) {
      if (until > t && this.unknown.size < UNKNOWN_KEYS) break;
      this.unknown.delete(k);
    }
    this.unknown.set(key, t + this.ttlMs);
  }

  /** How many keys are held, known and unknown to storage (for tests). */
  get held(): { known: number; unknown: number } {
    return { known: this.cache.size, unknown: this.unknown.size };
  }

  /**
   * A key revoked through this process (the admin API): requests with it see `rec`, its revoked
   * state, at once, storage up or down; every other key keeps its cached state. Lookups under
   * way are not joined or cached, since one of them may have read the key before the revocation.
   */
  revoked(rec: KeyRecord): void {
    this.generation++;
    this.inflight.clear();
    const t = this.now();
    for (const hit of this.cache.values()) {
      if (hit.record.id === rec.id) {
        hit.record = rec;
        hit.until = t + this.ttlMs;
      }
    }
  }
}
