import { describe, expect, it } from 'vitest';
import { zeroUsage } from '../core/usage.js';
import { renderSpendPage } from './spend-page.js';
import type { SpendSpec } from './spend-link.js';

const spend = { total: { ...zeroUsage(), requests: 0, errors: 0, unpricedRequests: 0, costPicos: 0n }, by: [] };
const spec = (window: string, windowStart: string, resetsAt: string): SpendSpec => ({ budgetId: 'b1', budgetName: null, scope: 'user:alice', window, windowStart: Date.parse(windowStart), resetsAt: Date.parse(resetsAt), at: Date.parse('2026-11-22T10:02:30Z'), spentPicos: 5n, limitPicos: 10n });
const page = (s: SpendSpec) => renderSpendPage(s, spend, { showAmounts: true, timeZone: 'UTC', expiresAt: s.at + 7 * 86_400_000 });

describe('the page of where a budget’s spend went', () => {
  it('gives a calendar window its start and reset', () => {
    expect(page(spec('daily', '2026-11-22T00:00:00Z', '2026-11-23T00:00:00Z'))).toContain('2026-11-22 00:00 UTC to 2026-11-23 00:00 UTC (resets then)');
  });

  it('does not say a rolling window resets: its spend ages out, all of it counted at the alert by the time its refusals give', () => {
    const html = page(spec('rolling 5h', '2026-11-22T05:00:00Z', '2026-11-22T15:05:00Z'));
    expect(html).toContain('rolling 5h, counted from 2026-11-22 05:00 UTC; what it counted when alerted has all aged out by 2026-11-22 15:05 UTC');
    expect(html).not.toContain('resets then');
  });
});
