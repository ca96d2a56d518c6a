import { LedgerTokens, type TokenLookupDeps } from './remembered.js';

/**
 * Input counted by default (`policy.gemini_cache_tokens`) for an explicit Gemini cache whose size the
 * gateway does not know (made elsewhere, or before the ledger's window): Gemini's largest context
 * window, 1,048,576 tokens, so a bound for the models whose window it is.
 */
export const GEMINI_CACHE_TOKENS = 1_048_576;
/** How far back a cache's creation is looked for in the ledger: a cache's default lifetime (its TTL), an hour. */
export const CACHE_LOOKBACK_MS = 60 * 60_000;

/** What an explicit cache a Gemini request names counts for it: its tokens, and the cache whose creation gave them (null: the setting's). */
export interface CachedContent {
  tokens: number;
  cache: string | null;
}

/**
 * The size of the explicit caches Gemini requests name, which Gemini bills as cache reads although
 * they are not in the body: from the creation's row (`gemini.caches`, the tokens it cached), as this
 * process recorded it, else read from the ledger in CACHE_LOOKBACK_MS before now for at most
 * RESPONSE_LOOKUP_MS and then remembered (a cache's contents never change); else the setting. Only
 * a request that names a cache asks.
 */
export class GeminiCaches extends LedgerTokens {
  constructor(d: TokenLookupDeps) {
    super(d, {
      apis: ['gemini.caches'],
      tokens: (row) => row.inputTokens,
      lookbackMs: CACHE_LOOKBACK_MS,
      keep: true,
      failure: 'could not read a Gemini cache’s size from the ledger: it counts as policy.gemini_cache_tokens',
    });
  }

  async contentOf(name: string): Promise<CachedContent> {
    const tokens = await this.tokensOf(name);
    return tokens === undefined ? { tokens: this.d.fallbackTokens, cache: null } : { tokens, cache: name };
  }
}
