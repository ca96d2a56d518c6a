import { describe, expect, it } from 'vitest';
import { sampleRow } from './testing/rows.js';
import { storableParam, storableRow, storableRows } from './storable.js';

describe('storableRow', () => {
  it('returns a clean row itself, and a batch of clean rows itself', () => {
    const rows = [sampleRow(), sampleRow({ tags: { a: 'b' } })];
    expect(storableRow(rows[0]!)).toBe(rows[0]);
    expect(storableRows(rows)).toBe(rows);
  });

  it('puts U+FFFD for U+0000 in text, tags and attempts, leaving the given row as it was', () => {
    const row = sampleRow({ model: 'a\u0000b', tags: { k: 'v\u0000' }, attemptLog: [] });
    const out = storableRow(row);
    expect(out.model).toBe('a\uFFFDb');
    expect(out.tags).toEqual({ k: 'v\uFFFD' });
    expect(row.model).toBe('a\u0000b');
  });

  it('leaves no U+0000 in any text field of a row or of its attempts', () => {
    const attempt = { requestId: 'r', n: 1, deployment: 'd', provider: 'p', model: 'm', status: 200, outcome: 'ok', errorType: 'e', delivered: true, inputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 0, reasoningTokens: 0, toolCalls: 0, usageSource: 'final' as const, costPicos: null, startedAt: 0, latencyMs: 0 };
    const withNul = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'string' ? `x\u0000${k}` : v])) as T;
    const row = withNul({ ...sampleRow({ project: 'p', sessionId: 's', errorType: 'e', pool: 'o', upstreamRequestId: 'u', routeRule: 'r', prefix: 'x', responseId: 'y', serviceTier: 't', lastTurnHash: 'h' }), attemptLog: [withNul(attempt)] });
    const out = storableRow(row);
    const texts = [...Object.values(out), ...Object.values(out.attemptLog![0]!)].filter((v) => typeof v === 'string');
    expect(texts.length).toBeGreaterThan(24);
    for (const t of texts) expect(t).not.toContain('\u0000');
  });
});

describe('storableParam', () => {
  it('puts U+FFFD for U+0000 in text and for its escape in JSON text', () => {
    expect(storableParam('s\u0000x')).toBe('s\uFFFDx');
    expect(JSON.parse(storableParam(JSON.stringify({ session: 's\u0000x' })) as string)).toEqual({ session: 's\uFFFDx' });
    expect(JSON.parse(storableParam(JSON.stringify(['\\\u0000'])) as string)).toEqual(['\\\uFFFD']);
  });

  it('leaves an escaped backslash followed by the text u0000 alone, and other values', () => {
    const text = JSON.stringify({ path: 'C:\\u0000' });
    expect(storableParam(text)).toBe(text);
    expect(storableParam('plain \\u0000 text')).toBe('plain \\u0000 text');
    expect(storableParam(5)).toBe(5);
    expect(storableParam(null)).toBe(null);
  });
});
