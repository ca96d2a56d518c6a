import { describe, expect, it } from 'vitest';
import { RESPONSE_WINDOW_MS, responseLookups, sourcesById } from './response-match.js';
import { sampleRow } from './testing/rows.js';

const W = RESPONSE_WINDOW_MS;

describe('response-id lookups', () => {
  it("asks only for other sources' rows with an id, one lookup per run of overlapping windows", () => {
    const rows = [
      sampleRow({ id: 'g', ts: 0, source: 'gateway', responseId: 'g1' }),
      sampleRow({ id: 'a', ts: 5 * W, source: 'otel-genai', responseId: 'a1' }),
      sampleRow({ id: 'n', ts: 5 * W, source: 'otel-genai', responseId: null }),
      sampleRow({ id: 'b', ts: 0, source: 'otel-genai', responseId: 'b1' }),
      sampleRow({ id: 'c', ts: 6 * W, source: 'claude-code-log', responseId: 'c1' }),
    ];
    expect(responseLookups(rows)).toEqual([
      { from: -W, to: W, ids: ['b1'] },
      { from: 4 * W, to: 7 * W, ids: ['a1', 'c1'] },
    ]);
  });

  it('matches an id recorded by another source only', () => {
    const has = sourcesById([{ id: 'x', source: 'gateway' }, { id: 'y', source: 'otel-genai' }]);
    expect(has('x', 'otel-genai')).toBe(true);
    expect(has('y', 'otel-genai')).toBe(false);
    expect(has('z', 'otel-genai')).toBe(false);
  });
});
