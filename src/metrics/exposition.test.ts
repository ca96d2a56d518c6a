import { describe, expect, it } from 'vitest';
import { Buckets, labelText } from './exposition.js';

describe('labelText', () => {
  it('escapes backslashes, quotes and newlines in values, as the text format requires', () => {
    expect(labelText({ model: 'a"b\\c\nd', team: '' })).toBe('{model="a\\"b\\\\c\\nd",team=""}');
    expect(labelText({})).toBe('');
  });
});

describe('Buckets', () => {
  it('writes cumulative buckets with le first, then +Inf, sum and count', () => {
    const b = new Buckets([0.1, 1]);
    for (const v of [0.05, 0.1, 0.5, 3]) b.observe(v);
    expect(b.lines('x', { p: 'o' })).toBe(
      ['x_bucket{le="0.1",p="o"} 2', 'x_bucket{le="1",p="o"} 3', 'x_bucket{le="+Inf",p="o"} 4', 'x_sum{p="o"} 3.65', 'x_count{p="o"} 4', ''].join('\n'),
    );
  });
});
