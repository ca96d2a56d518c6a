import { describe, expect, it } from 'vitest';
import type { RequestPoint } from '../storage/ports.js';
import { agentLoops, loopObservations } from './agent-loop.js';
import { defaultAnomalySettings } from './types.js';

const NOW = Date.UTC(2026, 10, 18, 14, 0);

function point(k: number, over: Partial<RequestPoint>): RequestPoint {
  return { id: `r${k}`, ts: NOW - 300_000 + k * 20_000, sessionId: 'loop-1', keyId: 'key_bob', user: 'bob', client: 'claude-code', model: 'claude-sonnet-4-5', status: 200, outcome: 'ok', attempts: 1, inputTokens: 1000 + k * 500, outputTokens: 40, toolCalls: 1, costPicos: 10_000_000_000n, lastTurnHash: 'a1b2c3d4e5f60718', ...over };
}

describe('an agent loop alert', () => {
  it('names whose session loops: its user, else its key', () => {
    const s = defaultAnomalySettings().detectors.agent_loop;
    const [byUser] = agentLoops(loopObservations([0, 1, 2, 3, 4].map((k) => point(k, {}))), NOW, s);
    expect(byUser!.message).toMatch(/^Session loop-1 \(user:bob\) repeated the same request 5 times/);
    const [byKey] = agentLoops(loopObservations([0, 1, 2, 3, 4].map((k) => point(k, { user: null }))), NOW, s);
    expect(byKey!.message).toMatch(/^Session loop-1 \(key:key_bob\) repeated/);
  });
});
