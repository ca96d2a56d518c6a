import { describe, expect, it } from 'vitest';
import type { RequestPoint } from '../storage/ports.js';
import { callerActivity, retryStorms } from './retry-storm.js';
import { defaultAnomalySettings } from './types.js';

const NOW = Date.UTC(2026, 10, 18, 14, 0);

function point(k: number, user: string | null): RequestPoint {
  return { id: `r${k}`, ts: NOW - 200_000 + k * 1000, sessionId: null, keyId: 'fp_9317152c7ce9662a', user, client: null, model: 'gpt-5-mini', status: 500, outcome: 'upstream_error', attempts: 1, inputTokens: 0, outputTokens: 0, toolCalls: 0, costPicos: 0n, lastTurnHash: null };
}

describe('a retry storm alert', () => {
  it('names the user behind a key whose failures all came from one user, and no one when they came from several', () => {
    const s = defaultAnomalySettings().detectors.retry_storm;
    const one = retryStorms(callerActivity(Array.from({ length: 40 }, (_, k) => point(k, k % 2 ? 'carol' : null)), NOW - s.windowMs, NOW), NOW, s);
    expect(one[0]!.message).toMatch(/^key:fp_9317152c7ce9662a \(user:carol\) sent 40 requests/);
    const two = retryStorms(callerActivity(Array.from({ length: 40 }, (_, k) => point(k, k % 2 ? 'carol' : 'dan')), NOW - s.windowMs, NOW), NOW, s);
    expect(two[0]!.message).toMatch(/^key:fp_9317152c7ce9662a sent 40 requests/);
  });
});
