import { describe, expect, it } from 'vitest';
import { sampleRow } from '../storage/testing/contract.js';
import { decodeRow, encodeRow } from './row-codec.js';

describe('row codec', () => {
  it('carries the pool that paid', () => {
    const row = sampleRow({ pool: 'platform-pool' });
    expect(decodeRow(encodeRow(row))).toEqual(row);
  });

  it('carries the prompt prefix hashes, and rows without them stay without', () => {
    const row = sampleRow({ prefix: '{"v":1,"n":0,"b":[],"bp":[],"e":0}' });
    expect(decodeRow(encodeRow(row))).toEqual(row);
    expect('prefix' in decodeRow(encodeRow(sampleRow()))).toBe(false);
  });

  it('reads spool lines written before rows had a pool', () => {
    const { pool: _pool, ...old } = sampleRow({ costPicos: 5n });
    const line = JSON.stringify({ ...old, costPicos: '5' });
    expect(decodeRow(line)).toEqual(sampleRow({ id: old.id, costPicos: 5n, pool: null }));
  });
});
