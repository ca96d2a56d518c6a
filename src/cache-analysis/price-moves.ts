import type { CacheRow } from '../core/ledger-row.js';
import type { Picos } from '../core/money.js';
import { type Usage, usageOf } from '../core/usage.js';

/** Prices a row's usage as if it had been `usage` (real prices from src/pricing); null when the model has no price. */
export type RowPricer = (row: CacheRow, usage: Usage) => Picos | null;

/**
 * What a request would have saved had `tokens` of its prompt been billed in another class.
 * Priced exactly by re-pricing the whole request (so tiers and discounts apply) and taking
 * the difference. Positive means cheaper.
 */
export class PriceMoves {
  private readonly price: RowPricer;

  constructor(price: RowPricer) {
    this.price = price;
  }

  /** Written to the cache, but read from it instead. */
  writeToRead(row: CacheRow, tokens: number): Picos {
    const t = Math.min(tokens, row.cacheWriteTokens);
    return this.saving(row, { ...takeWrites(row, t), cacheReadTokens: row.cacheReadTokens + t });
  }

  /** Written to the cache, but sent as plain input (no breakpoint): the write premium. */
  writeToInput(row: CacheRow, tokens: number): Picos {
    return this.saving(row, takeWrites(row, Math.min(tokens, row.cacheWriteTokens)));
  }

  /** Plain input, but read from the cache instead. */
  inputToRead(row: CacheRow, tokens: number): Picos {
    const t = Math.min(tokens, uncached(row));
    return this.saving(row, { cacheReadTokens: row.cacheReadTokens + t });
  }

  /** Plain input, but written to the 5-minute cache (negative: the premium of a write). */
  inputToWrite(row: CacheRow, tokens: number): Picos {
    const t = Math.min(tokens, uncached(row));
    return this.saving(row, { cacheWriteTokens: row.cacheWriteTokens + t });
  }

  /** A 5-minute write made with a one-hour TTL instead (negative: the extra cost). */
  write5mTo1h(row: CacheRow, tokens: number): Picos {
    const t = Math.min(tokens, row.cacheWriteTokens - row.cacheWrite1hTokens);
    return this.saving(row, { cacheWrite1hTokens: row.cacheWrite1hTokens + t });
  }

  private saving(row: CacheRow, change: Partial<Usage>): Picos {
    const actual = this.price(row, usageOf(row));
    const other = this.price(row, { ...usageOf(row), ...change });
    return actual === null || other === null ? 0n : actual - other;
  }
}

/** Removes `t` written tokens, the 5-minute ones first. */
function takeWrites(r: CacheRow, t: number): Partial<Usage> {
  const fiveMinute = r.cacheWriteTokens - r.cacheWrite1hTokens;
  return { cacheWriteTokens: r.cacheWriteTokens - t, cacheWrite1hTokens: r.cacheWrite1hTokens - Math.max(0, t - fiveMinute) };
}

function uncached(r: CacheRow): number {
  return Math.max(0, r.inputTokens - r.cacheReadTokens - r.cacheWriteTokens);
}
