import { describe, expect, it } from 'vitest';
import { sampleRow } from '../storage/testing/contract.js';
import { EXPORT_COLUMNS, csvHeader, toCsvLine, toJsonLine } from './export.js';

describe('export', () => {
  it('writes every documented column, with cost_usd as an exact decimal', () => {
    const line = toJsonLine(sampleRow({ costPicos: 123_456_789_012_345n, tags: { workflow: 'review', cost_usd: 'x' } }));
    expect(line).toContain('"cost_usd":123.456789012345');
    const obj = JSON.parse(line);
    expect(Object.keys(obj)).toEqual([...EXPORT_COLUMNS]);
    expect(obj.tags).toEqual({ workflow: 'review', cost_usd: 'x' });
    expect(obj.ts).toBe('2026-11-20T12:00:00.000Z');
    expect(obj.stream).toBe(false);
  });

  it('writes null cost for unpriced rows', () => {
    const obj = JSON.parse(toJsonLine(sampleRow({ costPicos: null, unpriced: true })));
    expect(obj.cost_usd).toBeNull();
    expect(obj.unpriced).toBe(true);
  });

  it('writes CSV with k=v;k=v tags and quoting', () => {
    expect(csvHeader().trim().split(',')).toEqual([...EXPORT_COLUMNS]);
    const line = toCsvLine(sampleRow({ tags: { workflow: 'review', prompt_version: 'v7' }, user: 'o,neil', costPicos: 18_750n }));
    expect(line).toContain('workflow=review;prompt_version=v7');
    expect(line).toContain('"o,neil"');
    expect(line).toContain(',0.00000001875,');
  });
});
