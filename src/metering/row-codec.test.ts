import { describe, expect, it } from 'vitest';
import type { LedgerRow } from '../core/ledger-row.js';
import { sampleRow } from '../storage/testing/rows.js';
import { decodeRow, encodeRow } from './row-codec.js';

describe('row codec', () => {
  it('puts every field back where it was, each holding a value of its own', () => {
    // Distinct values everywhere: a field encoded out of its place would land on another's name.
    const base = sampleRow({ costPicos: 1n, routeSavingPicos: 2n, prefix: 'p', responseId: 'r', serviceTier: 't' });
    const row: Record<string, unknown> = {};
    Object.keys(base).forEach((k, i) => {
      const v = (base as unknown as Record<string, unknown>)[k];
      row[k] = typeof v === 'bigint' ? BigInt(1000 + i) : typeof v === 'number' ? 1000 + i : typeof v === 'boolean' ? i % 2 === 0 : k === 'tags' ? { n: String(i) } : `value-${i}`;
    });
    expect(decodeRow(encodeRow(row as unknown as LedgerRow))).toEqual(row);
  });

  it('carries the pool that paid', () => {
    const row = sampleRow({ pool: 'platform-pool' });
    expect(decodeRow(encodeRow(row))).toEqual(row);
  });

  it('carries the last turn hash', () => {
    const row = sampleRow({ lastTurnHash: 'a1b2c3d4e5f60718' });
    expect(decodeRow(encodeRow(row))).toEqual(row);
  });

  it('carries the prompt prefix hashes, and rows without them stay without', () => {
    const row = sampleRow({ prefix: '{"v":1,"n":0,"b":[],"bp":[],"e":0}' });
    expect(decodeRow(encodeRow(row))).toEqual(row);
    expect('prefix' in decodeRow(encodeRow(sampleRow()))).toBe(false);
  });

  it('carries the service tier a row was priced at, and rows at the standard tier stay without one', () => {
    for (const tier of ['flex', 'batch+us', null]) {
      const row = sampleRow({ serviceTier: tier, responseId: 'chatcmpl-1' });
      expect(decodeRow(encodeRow(row))).toEqual(row);
    }
    expect('serviceTier' in decodeRow(encodeRow(sampleRow({ responseId: 'chatcmpl-1' })))).toBe(false);
  });

  it('reads a spool line written before rows had a service tier (extras without it) as a row at the standard tier', () => {
    const row = sampleRow({ responseId: 'msg_1', prefix: '{"v":1}' });
    const line = encodeRow(row);
    // A line of the release before: the same positional array, its extras only prefix and response id.
    expect(line).toContain('[2,{"prefix":"{\\"v\\":1}","responseId":"msg_1"},');
    const decoded = decodeRow(line);
    expect(decoded).toEqual(row);
    expect(decoded.serviceTier).toBeUndefined();
  });

  it('carries the routing rule, its mode and a saving beyond a double, negative too', () => {
    for (const saving of [2n ** 70n + 3n, -7n, null]) {
      const row = sampleRow({ routeRule: 'small-to-haiku', routeMode: 'shadow', routeSavingPicos: saving });
      expect(decodeRow(encodeRow(row))).toEqual(row);
    }
  });

  it('reads spool lines written before rows had a pool or a routing rule', () => {
    const { pool: _pool, routeRule: _r, routeMode: _m, routeSavingPicos: _s, lastTurnHash: _h, ...old } = sampleRow({ costPicos: 5n });
    const line = JSON.stringify({ ...old, costPicos: '5' });
    expect(decodeRow(line)).toEqual(sampleRow({ id: old.id, costPicos: 5n, pool: null }));
  });

  it('carries the attempts, their exact costs included, so the spool never loses one', () => {
    const a = { requestId: 'r', n: 1, deployment: 'd', provider: 'openai', model: 'gpt-5', status: 500, outcome: 'upstream_error', errorType: 'server_error', delivered: false, inputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 0, reasoningTokens: 0, toolCalls: 0, usageSource: 'none' as const, costPicos: 2n ** 70n, startedAt: 5, latencyMs: 3 };
    const row = sampleRow({ attempts: 2, attemptLog: [a, { ...a, n: 2, costPicos: null }] });
    expect(decodeRow(encodeRow(row))).toEqual(row);
  });

  it('writes one positional array per line and reads back rows with every optional field', () => {
    const row = sampleRow({ costPicos: 2n ** 66n, prefix: '{"v":1}', responseId: 'chatcmpl-1', lastTurnHash: 'ff00', tags: { workflow: 'review' } });
    const line = encodeRow(row);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(line)).toBeInstanceOf(Array);
    expect(decodeRow(line)).toEqual(row);
  });

  it('reads lines of the keyed format that spools held before the positional one', () => {
    const row = sampleRow({ costPicos: 7n, routeSavingPicos: -3n, prefix: '{"v":1}', responseId: 'msg_1', lastTurnHash: 'ab' });
    const keyed = JSON.stringify({ ...row, costPicos: '7', routeSavingPicos: '-3' });
    expect(decodeRow(keyed)).toEqual(row);
  });

  it('reads a positional line written before a field was appended as null there', () => {
    const row = sampleRow({ lastTurnHash: 'ab' });
    const values = JSON.parse(encodeRow(row)) as unknown[];
    values.pop();
    expect(decodeRow(JSON.stringify(values))).toEqual({ ...row, lastTurnHash: null });
  });

  it('refuses a line of a format it does not know', () => {
    expect(() => decodeRow('[9, 0, "x"]')).toThrow(/unknown format/);
  });
});
