import { describe, expect, it } from 'vitest';
import { usd } from '../core/money.js';
import { emptyTotals } from '../storage/ports.js';
import { measureCells } from './spend-sections.js';

describe('measureCells', () => {
  it('writes "unpriced" for a group none of whose requests had a price, and stars one partly priced', () => {
    const cost = (requests: number, unpricedRequests: number, costPicos: bigint) => measureCells({ ...emptyTotals(), requests, unpricedRequests, costPicos }, true)[5];
    expect(cost(1, 1, 0n)).toBe('unpriced');
    expect(cost(2, 1, usd('0.5'))).toBe('$0.50*');
    expect(cost(2, 0, usd('0.5'))).toBe('$0.50');
  });
});
