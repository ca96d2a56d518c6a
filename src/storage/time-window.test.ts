import { describe, expect, it } from 'vitest';
import { timeTerms } from './time-window.js';

describe('timeTerms', () => {
  it('numbers placeholders after the parameters already there', () => {
    const params: unknown[] = ['x'];
    expect(timeTerms({ since: 10, until: 20 }, params, (i) => `$${i}`)).toEqual(['ts >= $2', 'ts < $3']);
    expect(params).toEqual(['x', 10, 20]);
  });

  it('leaves out an open end, and spells ? by default', () => {
    const params: unknown[] = [];
    expect(timeTerms({ until: 5 }, params, undefined, 'hour')).toEqual(['hour < ?']);
    expect(params).toEqual([5]);
    expect(timeTerms({}, params)).toEqual([]);
  });
});
