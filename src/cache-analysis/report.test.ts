import { describe, expect, it } from 'vitest';
import type { CacheRow } from '../core/ledger-row.js';
import { usd } from '../core/money.js';
import { zeroUsage } from '../core/usage.js';
import { createPricer } from '../pricing/index.js';
import { sampleRow } from '../storage/testing/rows.js';
import { rowPricer } from './report.js';

describe('rowPricer', () => {
  it('prices a row’s tokens at the service tier it was billed at, as the cache figures must', () => {
    const price = rowPricer(createPricer(), () => 'anthropic');
    const row: CacheRow = sampleRow({ provider: 'anthropic', model: 'claude-sonnet-4-5', ts: Date.UTC(2026, 9, 6) });
    // Sonnet 4.5: $3 a million input (protocols.md §6.2, under its 200K tier), half in a batch.
    const usage = { ...zeroUsage(), inputTokens: 100_000 };
    expect(price(row, usage)).toBe(usd('0.3'));
    expect(price({ ...row, serviceTier: 'batch' }, usage)).toBe(usd('0.15'));
  });
});
