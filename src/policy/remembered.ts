import type { Logger } from '../core/logger.js';
import { within } from '../core/within.js';

/** Entries remembered, newest kept. */
const REMEMBERED = 10_000;

export interface RememberedDeps {
  /** How long a read may hold admission up. */
  timeoutMs: number;
  log: Logger;
  /** Logged when a read fails or is late: once, until a read works again. */
  failure: string;
}

/** What a lookup of stored token counts (response-context.ts, gemini-cache.ts) is built from. */
export interface TokenLookupDeps {
  /** The ledger's read, by id, over [since, until). */
  lookup: (id: string, since: number, until: number) => Promise<number | undefined>;
  /** The setting counted when the read has no answer in time. */
  fallbackTokens: number;
  /** RESPONSE_LOOKUP_MS unless set. */
  timeoutMs?: number;
  now: () => number;
  log: Logger;
}

/**
 * Token counts admission needs from the ledger (a Responses follow-up's previous response, a Gemini
 * cache's size): those this process recorded remembered, the others read for a bounded time, so
 * that a slow or failing store costs a request at most `timeoutMs`.
 */
export class Remembered {
  private readonly recent = new Map<string, number>();
  private readonly d: RememberedDeps;
  private failing = false;

  constructor(d: RememberedDeps) {
    this.d = d;
  }

  note(key: string, tokens: number): void {
    // Oldest first by insertion order: a full map forgets the longest-known entry.
    if (this.recent.size >= REMEMBERED && !this.recent.has(key)) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(key, tokens);
  }

  /** `key`'s count: remembered, else `read` for at most `timeoutMs` (kept when `keep`: what it counts cannot change); undefined when unknown or late. */
  async get(key: string, read: () => Promise<number | undefined>, keep = false): Promise<number | undefined> {
    const known = this.recent.get(key);
    if (known !== undefined) return known;
    try {
      const tokens = await within(read(), this.d.timeoutMs, 'the ledger did not answer in time');
      this.failing = false;
      if (keep && tokens !== undefined) this.note(key, tokens);
      return tokens;
    } catch (err) {
      if (!this.failing) this.d.log.warn(this.d.failure, { err: String(err) });
      this.failing = true;
      return undefined;
    }
  }
}
