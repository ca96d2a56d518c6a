import { describe, expect, it } from 'vitest';
import { MAX_TOKENS, tokens } from './usage.js';

describe('tokens', () => {
  it('takes whole non-negative counts up to a billion, and reads anything else as none', () => {
    expect([tokens(12), tokens(12.9), tokens(MAX_TOKENS), tokens(0)]).toEqual([12, 12, MAX_TOKENS, 0]);
    expect([tokens(-3), tokens(MAX_TOKENS + 1), tokens(1e308), tokens(Infinity), tokens(NaN), tokens('5'), tokens(null), tokens(undefined)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });
});
