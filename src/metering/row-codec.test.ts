import { describe, expect, it } from 'vitest';
import { sampleRow } from '../storage/testing/contract.js';
import { decodeRow, encodeRow } from './row-codec.js';

describe('row codec', () => {
  it('carries the pool that paid', () => {
    const row = sampleRow({ pool: 'platform-pool' });
    expect(decodeRow(encodeRow(row))).toEqual(row);
  });

  it('reads spool lines written before rows had a pool', () => {
    const { pool: _pool, ...old } = sampleRow({ costPicos: 5n });
    const line = JSON.stringify({ ...old, costPicos: '5' });
    expect(decodeRow(line)).toEqual(sampleRow({ id: old.id, costPicos: 5n, pool: null }));
  });

  it('carries the attempts, their exact costs included, so the spool never loses one', () => {
    const a = { requestId: 'r', n: 1, deployment: 'd', provider: 'openai', model: 'gpt-5', status: 500, outcome: 'upstream_error', errorType: 'server_error', delivered: false, inputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 0, reasoningTokens: 0, toolCalls: 0, usageSource: 'none' as const, costPicos: 2n ** 70n, startedAt: 5, latencyMs: 3 };
    const row = sampleRow({ attempts: 2, attemptLog: [a, { ...a, n: 2, costPicos: null }] });
    expect(decodeRow(encodeRow(row))).toEqual(row);
  });
});
