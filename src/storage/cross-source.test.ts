import { describe, expect, it } from 'vitest';
import { PEER_WINDOW_MS, RESPONSE_WINDOW_MS, SESSIONLESS_WINDOW_MS, SESSION_WINDOW_MS, type Probe, agentProbes, agentRanges, crossSourceCheck, matchedByAgent, matchedByUsage, probesToRun, repeatedInRange, responseLookups, sessionlessRanges, sourcesById, usageProbesOf, usageRanges } from './cross-source.js';
import { sampleRow } from './testing/rows.js';

const probe = (i: number, ts: number, over: Partial<Probe> = {}): Probe => ({ i, upstreamId: `req_${i}`, source: 'otel-genai', sessionId: null, ts, ...over });

describe('cross-source lookups', () => {
  it('reads one range of gateway rows per cluster of sessionless rows, whatever their order', () => {
    const W = SESSIONLESS_WINDOW_MS;
    const probes = [probe(0, 10 * W), probe(1, 0), probe(2, W), probe(3, 10 * W + 1), probe(4, 0, { sessionId: 's' }), probe(5, 0, { source: 'gateway' })];
    const ranges = sessionlessRanges(probes);
    expect(ranges.map((r) => [r.from, r.to, r.items.map((p) => p.i)])).toEqual([
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

  it("asks for response ids only of other sources' rows that have one, one lookup per run of overlapping windows", () => {
    const W = RESPONSE_WINDOW_MS;
    const rows = [
      sampleRow({ id: 'g', ts: 0, source: 'gateway', responseId: 'g1' }),
      sampleRow({ id: 'a', ts: 5 * W, source: 'otel-genai', responseId: 'a1' }),
      sampleRow({ id: 'n', ts: 5 * W, source: 'otel-genai', responseId: null }),
      sampleRow({ id: 'b', ts: 0, source: 'otel-genai', responseId: 'b1' }),
      sampleRow({ id: 'c', ts: 6 * W, source: 'claude-code-log', responseId: 'c1' }),
    ];
    expect(responseLookups(rows).map((l) => ({ from: l.from, to: l.to, ids: l.items.map((r) => r.responseId) }))).toEqual([
      { from: -W, to: W, ids: ['b1'] },
      { from: 4 * W, to: 7 * W, ids: ['a1', 'c1'] },
    ]);
  });

  it('matches a response id recorded by another source only', () => {
    const has = sourcesById([{ id: 'x', source: 'gateway' }, { id: 'y', source: 'otel-genai' }]);
    expect(has('x', 'otel-genai')).toBe(true);
    expect(has('y', 'otel-genai')).toBe(false);
    expect(has('z', 'otel-genai')).toBe(false);
  });

  it('answers a one-source batch as it answers the same rows beside another source', () => {
    const stored = sourcesById([{ id: 'r1', source: 'gateway' }]);
    const rows = [
      sampleRow({ id: 'a', source: 'claude-code-log', upstreamRequestId: 'req_a', responseId: 'r1' }),
      sampleRow({ id: 'b', source: 'claude-code-log', upstreamRequestId: 'req_a', responseId: 'r2' }),
      sampleRow({ id: 'c', source: 'claude-code-log', upstreamRequestId: null, responseId: 'r2' }),
      sampleRow({ id: 'd', source: 'claude-code-log', upstreamRequestId: 'req_d', responseId: 'r1' }),
      sampleRow({ id: 'e', source: 'claude-code-log', upstreamRequestId: null, responseId: null }),
    ];
    const other = sampleRow({ id: 'x', source: 'otel-genai', upstreamRequestId: 'req_x', responseId: 'rx' });
    const alone = crossSourceCheck(rows, new Set(), stored);
    const mixed = crossSourceCheck([...rows, other], new Set(), stored);
    expect(rows.map((r) => alone(r))).toEqual([true, false, false, true, false]);
    expect(rows.map((r) => mixed(r))).toEqual([true, false, false, true, false]);
  });

  it('reads a Codex row against the gateway and its other record, matching that one by all four counts within the shorter window', () => {
    const row = (id: string, source: string, ts = 0) => sampleRow({ id, ts, source, sessionId: 'cx', upstreamRequestId: null, responseId: null, inputTokens: 100, cacheReadTokens: 60, outputTokens: 10, reasoningTokens: 4 });
    const probes = usageProbesOf([row('log', 'codex-log'), row('otel', 'codex-otel'), row('span', 'otel-genai')]);
    const ranges = usageRanges(probes);
    expect(ranges.map((r) => [r.peer, r.items.map((p) => p.source)])).toEqual([['codex-otel', ['codex-log']], ['codex-log', ['codex-otel']], ['gateway', ['otel-genai']]]);
    const found = (source: string, ts: number, o: { cached?: number; reasoning?: number } = {}) => ({ ts, input: 100, cached: o.cached ?? 60, output: 10, reasoning: o.reasoning ?? 4, source });
    const log = ranges[0]!;
    expect(matchedByUsage(log, [found('codex-otel', PEER_WINDOW_MS)])).toHaveLength(1);
    expect(matchedByUsage(log, [found('codex-otel', PEER_WINDOW_MS + 1)])).toHaveLength(0);
    expect(matchedByUsage(log, [found('codex-otel', 0, { cached: 0 }), found('codex-otel', 0, { reasoning: 0 })])).toHaveLength(0);
    expect(matchedByUsage(log, [found('codex-log', 0), found('otel-genai', 0)])).toHaveLength(0);
    // The gateway's rule is unchanged: input and output within the session window.
    expect(matchedByUsage(log, [found('gateway', SESSION_WINDOW_MS, { cached: 0, reasoning: 0 })])).toHaveLength(1);
  });

  it('reads gateway rows by agent_id only for the Codex probes their session did not match, a batch of threads in one window', () => {
    const row = (id: string, source: string, ts: number, session = 'thread', responseId: string | null = null) => sampleRow({ id, ts, source, sessionId: session, upstreamRequestId: null, responseId, inputTokens: 100 + ts, outputTokens: 10 });
    const batch = [row('a', 'codex-otel', 0), row('b', 'codex-otel', 1), row('c', 'codex-otel', SESSION_WINDOW_MS, 'other'), row('d', 'codex-log', 0, 'thread', 'resp_d'), row('e', 'codex-log', 1), row('f', 'otel-genai', 0), row('g', 'codex-otel', 3 * SESSION_WINDOW_MS + 1)];
    const ranges = usageRanges(usageProbesOf(batch));
    // Probe 1 matched by its session's rows; a rollout row with a response id and another source's are not looked up by agent.
    const left = ranges.flatMap((r) => agentProbes(r, r.items.filter((p) => p.i === 1)));
    expect(left.map((p) => p.i).sort()).toEqual([0, 2, 4, 6]);
    const lookups = agentRanges(left);
    expect(lookups.map((r) => [r.from, r.to, r.threads, r.inputs, r.items.map((p) => p.i)])).toEqual([
      [-SESSION_WINDOW_MS, 2 * SESSION_WINDOW_MS, ['thread', 'other'], [100, 101, 100 + SESSION_WINDOW_MS], [0, 4, 2]],
      [2 * SESSION_WINDOW_MS + 1, 4 * SESSION_WINDOW_MS + 1, ['thread'], [101 + 3 * SESSION_WINDOW_MS], [6]],
    ]);
    // Each gateway row matches the probes of the thread it names, one call each.
    const gw = (agent: string, input: number) => ({ ts: 0, input, cached: 0, output: 10, reasoning: 0, source: 'gateway', agent });
    expect(matchedByAgent(lookups[0]!, [gw('thread', 100), gw('thread', 100 + SESSION_WINDOW_MS), gw('nobody', 101)]).map((p) => p.i)).toEqual([0]);
    expect(matchedByAgent(lookups[0]!, [gw('thread', 100), gw('other', 100 + SESSION_WINDOW_MS)]).map((p) => p.i)).toEqual([0, 2]);
  });
});
