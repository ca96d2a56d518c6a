import type { Api } from '../core/api.js';
import type { LedgerRow } from '../core/ledger-row.js';
import type { Logger } from '../core/logger.js';
import { within } from '../core/within.js';

/** How long admission waits for a read of the ledger before counting the setting instead. */
export const RESPONSE_LOOKUP_MS = 100;

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

/** Which rows a LedgerTokens lookup is made of, and how it reads them. */
export interface LedgerTokensOptions {
  /** The APIs whose successful rows, by their response id, make what is looked up. */
  apis: readonly Api[];
  /** What such a row counts for. */
  tokens: (row: LedgerRow) => number;
  /** How far before now the ledger is read for it. */
  lookbackMs: number;
  /** Keep what a read found: the thing it counts cannot change. */
  keep: boolean;
  failure: string;
}

/**
 * Token counts by a response id of one API: the rows this process recorded remembered (`remember`),
 * the others read from the ledger in `lookbackMs` before now for a bounded time. Undefined when
 * unknown or late: the caller counts `fallbackTokens` then.
 */
export class LedgerTokens {
  protected readonly d: TokenLookupDeps;
  private readonly o: LedgerTokensOptions;
  private readonly known: Remembered;

  constructor(d: TokenLookupDeps, o: LedgerTokensOptions) {
    this.d = d;
    this.o = o;
    this.known = new Remembered({ timeoutMs: d.timeoutMs ?? RESPONSE_LOOKUP_MS, log: d.log, failure: o.failure });
  }

  /** Notes a row the gateway recorded: one of the API's, answered with its final usage. */
  remember(row: LedgerRow): void {
    if (!this.o.apis.includes(row.api) || !row.responseId || row.usageSource !== 'final' || row.status >= 400) return;
    this.known.note(row.responseId, this.o.tokens(row));
  }

  protected tokensOf(id: string): Promise<number | undefined> {
    const now = this.d.now();
    return this.known.get(id, () => this.d.lookup(id, now - this.o.lookbackMs, now + 1), this.o.keep);
  }
}
