import { describe, expect, it } from 'vitest';
import { SESSIONLESS_WINDOW_MS, type Probe, probesToRun, repeatedInRange, sessionlessRanges } from './cross-source.js';

const probe = (i: number, ts: number, over: Partial<Probe> = {}): Probe => ({ i, upstreamId: `req_${i}`, source: 'otel-genai', sessionId: null, ts, ...over });

describe('cross-source lookups', () => {
  it('reads one range of gateway rows per cluster of sessionless rows, whatever their order', () => {
    const W = SESSIONLESS_WINDOW_MS;
    const probes = [probe(0, 10 * W), probe(1, 0), probe(2, W), probe(3, 10 * W + 1), probe(4, 0, { sessionId: 's' }), probe(5, 0, { source: 'gateway' })];
    const ranges = sessionlessRanges(probes);
    expect(ranges.map((r) => [r.from, r.to, r.probes.map((p) => p.i)])).toEqual([
      [-W, 2 * W, [1, 2]],
      [9 * W, 11 * W + 1, [0, 3]],
    ]);
  });

  it('finds a repeat only within the row\'s own window, even inside a wider range', () => {
    const [range] = sessionlessRanges([probe(0, 0), probe(1, SESSIONLESS_WINDOW_MS)]);
    const found = [{ u: 'req_0', ts: SESSIONLESS_WINDOW_MS + 1 }, { u: 'req_1', ts: 2 * SESSIONLESS_WINDOW_MS }];
    expect(repeatedInRange(range!, found).map((p) => p.i)).toEqual([1]);
  });

  it('asks the store about gateway rows only when another source has stored rows', () => {
    const probes = [probe(0, 0, { source: 'gateway' }), probe(1, 0)];
    let asked = 0;
    const ask = (answer: boolean) => () => (asked++, answer);
    expect(probesToRun(probes, ask(false)).map((p) => p.i)).toEqual([1]);
    expect(probesToRun(probes, ask(true)).map((p) => p.i)).toEqual([0, 1]);
    expect(probesToRun([probe(1, 0)], ask(false)).map((p) => p.i)).toEqual([1]);
    expect(asked).toBe(2);
  });
});
