import { describe, expect, it } from 'vitest';
import { PLAIN_DIMENSIONS } from '../core/ledger-row.js';
import { OUTCOME_DIMENSIONS, isOutcomeDimension } from './report.js';

describe('the dimensions an outcome report groups by', () => {
  it('are every report dimension but time, and the help text names each of them', () => {
    const taken = PLAIN_DIMENSIONS.filter((d) => isOutcomeDimension(d));
    expect(taken).toEqual(PLAIN_DIMENSIONS.filter((d) => d !== 'day' && d !== 'hour'));
    for (const d of taken) expect(OUTCOME_DIMENSIONS).toMatch(new RegExp(`\\b${d}\\b`));
    expect(isOutcomeDimension('tag:workflow')).toBe(true);
    expect(isOutcomeDimension('rule')).toBe(false);
  });
});
