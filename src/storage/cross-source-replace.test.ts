import { describe, expect, it } from 'vitest';
import { SESSION_WINDOW_MS } from './cross-source.js';
import { afterReplacing, replaceProbesOf, replaceRanges, replacedRows } from './cross-source-replace.js';
import { sampleRow } from './testing/rows.js';

const T = Date.UTC(2026, 10, 20, 12);
const gw = (id: string, o: Parameters<typeof sampleRow>[0] = {}) => sampleRow({ id, ts: T, sessionId: 'cx', inputTokens: 100, outputTokens: 10, ...o });
const otel = (id: string, o: Parameters<typeof sampleRow>[0] = {}) => gw(id, { source: 'codex-otel', upstreamRequestId: null, responseId: null, ...o });

describe('gateway rows replacing a stored record of their call', () => {
  it('looks up only gateway rows with a session or an agent thread, and tokens', () => {
    const rows = [gw('a'), gw('b', { sessionId: null }), gw('c', { tags: { agent_id: 'sub' } }), gw('d', { inputTokens: 0, outputTokens: 0 }), otel('e')];
    expect(replaceProbesOf(rows).map((p) => [p.i, p.sessionId, p.byAgent])).toEqual([[0, 'cx', false], [2, 'cx', false], [2, 'sub', true]]);
    const ranges = replaceRanges(replaceProbesOf([gw('a'), gw('b', { ts: T + 3 * SESSION_WINDOW_MS }), gw('c', { sessionId: 'other' })]));
    expect(ranges.map((r) => [r.sessionId, r.from, r.to])).toEqual([
      ['cx', T - SESSION_WINDOW_MS, T + SESSION_WINDOW_MS],
      ['cx', T + 2 * SESSION_WINDOW_MS, T + 4 * SESSION_WINDOW_MS],
      ['other', T - SESSION_WINDOW_MS, T + SESSION_WINDOW_MS],
    ]);
  });

  it('takes one stored row per gateway row, the closest in time, each stored row once', () => {
    const probes = replaceProbesOf([gw('g1'), gw('g2', { ts: T + 60_000 }), gw('g3', { ts: T + 120_000 })]);
    const found = [otel('far', { ts: T + 200_000 }), otel('near', { ts: T + 1000 }), otel('late', { ts: T + 121_000 + SESSION_WINDOW_MS })];
    expect(replacedRows(probes, found).map((r) => r.id)).toEqual(['near', 'far']);
  });

  it('matches by input and output counts; a row with a response id only if Codex wrote it; a thread only for Codex rows', () => {
    const probes = replaceProbesOf([gw('g', { tags: { agent_id: 'sub' } })]);
    expect(replacedRows(probes, [otel('o', { outputTokens: 11 }), otel('span', { source: 'otel-genai', responseId: 'r1' })])).toEqual([]);
    expect(replacedRows(probes, [otel('log', { source: 'codex-log', responseId: 'r1' })]).map((r) => r.id)).toEqual(['log']);
    // Two response ids name the call: another one is another call, the same one is it, whoever recorded it.
    const named = replaceProbesOf([gw('g', { responseId: 'r2' })]);
    expect(replacedRows(named, [otel('log', { source: 'codex-log', responseId: 'r1' })])).toEqual([]);
    expect(replacedRows(named, [otel('span', { source: 'otel-genai', responseId: 'r2' })]).map((r) => r.id)).toEqual(['span']);
    expect(replacedRows(probes, [otel('span', { source: 'otel-genai', sessionId: 'sub' })])).toEqual([]);
    expect(replacedRows(probes, [otel('sub', { sessionId: 'sub' })]).map((r) => r.id)).toEqual(['sub']);
    // Its own session first: the thread row stays for another call.
    expect(replacedRows(probes, [otel('sub', { sessionId: 'sub' }), otel('own')]).map((r) => r.id)).toEqual(['own']);
  });

  it('drops a row the write itself added, and takes back only stored ones', () => {
    const written = [gw('g'), otel('new')];
    expect(afterReplacing(written, [otel('new'), otel('old')])).toEqual({ kept: [written[0]], removed: [otel('old')] });
  });
});
