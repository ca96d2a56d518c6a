import { describe, expect, it } from 'vitest';
import { lastMonth } from './chargeback.js';

describe('chargeback without --month', () => {
  it('takes the last complete month in the policy time zone', () => {
    expect(lastMonth(Date.UTC(2026, 0, 15), 'UTC')).toBe('2025-12');
    // 02:00 UTC on 1 November is still 31 October in Los Angeles: its last complete month is September.
    expect(lastMonth(Date.UTC(2026, 10, 1, 2), 'America/Los_Angeles')).toBe('2026-09');
    expect(lastMonth(Date.UTC(2026, 10, 1, 2), 'UTC')).toBe('2026-10');
  });
});
