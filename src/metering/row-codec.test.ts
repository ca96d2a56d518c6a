import { describe, expect, it } from 'vitest';
import { sampleRow } from '../storage/testing/contract.js';
import { decodeRow, encodeRow } from './row-codec.js';

describe('row codec', () => {
  it('carries the pool that paid', () => {
    const row = sampleRow({ pool: 'platform-pool' });
    expect(decodeRow(encodeRow(row))).toEqual(row);
  });

  it('carries the last turn hash', () => {
    const row = sampleRow({ lastTurnHash: 'a1b2c3d4e5f60718' });
    expect(decodeRow(encodeRow(row))).toEqual(row);
  });

  it('reads spool lines written before rows had a pool', () => {
    const { pool: _pool, lastTurnHash: _hash, ...old } = sampleRow({ costPicos: 5n });
    const line = JSON.stringify({ ...old, costPicos: '5' });
    expect(decodeRow(line)).toEqual(sampleRow({ id: old.id, costPicos: 5n, pool: null }));
  });
});
