// The analyser's two small containers, apart from its logic.

/** Within a cache scope: a running prefix hash, or `session:<id>` for a write without a prefix. */
export type EntryKey = number | string;

/** A queue taken from the front without copying what is left on each take. */
export class Queue<T> {
  private items: T[] = [];
  private head = 0;

  get first(): T | undefined {
    return this.items[this.head];
  }

  push(v: T): void {
    this.items.push(v);
  }

  /** What is still queued, first to last. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i]!;
  }

  shift(): T {
    const v = this.items[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return v;
  }
}

/**
 * Cache entries by scope (provider and model), then by key: a lookup builds no string, which
 * mattered when every request that read the cache looked up each of its prefix hashes.
 */
export class ScopedMap<V> {
  private readonly m = new Map<number, Map<EntryKey, V>>();

  get(scope: number, key: EntryKey): V | undefined {
    return this.m.get(scope)?.get(key);
  }

  set(scope: number, key: EntryKey, v: V): void {
    let inner = this.m.get(scope);
    if (!inner) this.m.set(scope, (inner = new Map<EntryKey, V>()));
    inner.set(key, v);
  }

  delete(scope: number, key: EntryKey): void {
    this.m.get(scope)?.delete(key);
  }
}
