import { afterAll, describe, expect, it } from 'vitest';
import { usd } from '../core/money.js';
import type { Storage, TelemetryPoint } from './ports.js';
import { openPostgres } from './postgres/postgres-storage.js';
import { openSqlite } from './sqlite/sqlite-storage.js';
import { TEST_PG_URL, dropSchemas } from './testing/postgres.js';

const SCHEMA = `tg_telemetry_${process.pid}_${Date.now() % 100000}`;

function point(id: string, over: Partial<TelemetryPoint>): TelemetryPoint {
  return { id, ts: 1_000, metric: 'claude_code.token.usage', sessionId: 's1', user: 'u', model: 'claude-sonnet-4-5', tokenType: 'input', tokens: 0, costPicos: 0n, ...over };
}

const engines: [string, () => Promise<Storage>][] = [
  ['SQLite', () => Promise.resolve(openSqlite(':memory:'))],
  ['Postgres', () => openPostgres({ url: TEST_PG_URL, schema: SCHEMA, maxConnections: 2 })],
];

describe.each(engines)('telemetry cross-check points on %s', (_name, open) => {
  it('stores points idempotently and sums them per session and model, exactly', async () => {
    const s = await open();
    try {
      // Beyond 2^53 picodollars in one sum: must stay exact.
      const big = usd('9000');
      const points = [
        point('a', { tokenType: 'input', tokens: 100 }),
        point('b', { tokenType: 'output', tokens: 50 }),
        point('c', { tokenType: 'cacheRead', tokens: 2000 }),
        point('d', { tokenType: 'cacheCreation', tokens: 300 }),
        point('e', { metric: 'claude_code.cost.usage', tokenType: null, costPicos: big }),
        point('f', { metric: 'claude_code.cost.usage', tokenType: null, costPicos: big + 1n }),
        point('g', { sessionId: null, model: null, tokenType: 'input', tokens: 7, ts: 5_000 }),
      ];
      expect(await s.telemetry.insertPoints(points)).toBe(7);
      expect(await s.telemetry.insertPoints(points.slice(0, 3))).toBe(0);
      expect(await s.telemetry.sumPoints({})).toEqual([
        { sessionId: '', model: '', points: 1, inputTokens: 7, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0, costPicos: 0n },
        { sessionId: 's1', model: 'claude-sonnet-4-5', points: 6, inputTokens: 100, outputTokens: 50, cacheReadTokens: 2000, cacheCreationTokens: 300, costPicos: 2n * big + 1n },
      ]);
      expect((await s.telemetry.sumPoints({ since: 2_000 })).map((t) => t.inputTokens)).toEqual([7]);
      expect(await s.telemetry.sumPoints({ until: 1_000 })).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('sums costs beyond 2^63 picodollars exactly (SQLite refused the sum as an integer overflow)', async () => {
    const s = await open();
    try {
      const million = usd('1000000');
      const points = Array.from({ length: 12 }, (_, i) => point(`m${i}`, { metric: 'claude_code.cost.usage', tokenType: null, costPicos: million + BigInt(i), ts: 7_000_000 }));
      await s.telemetry.insertPoints(points);
      expect(await s.telemetry.sumPoints({ since: 7_000_000 })).toMatchObject([{ points: 12, costPicos: 12n * million + 66n }]);
    } finally {
      await s.close();
    }
  });

  it('keeps a point whose text holds U+0000, with U+FFFD in its place', async () => {
    const s = await open();
    try {
      expect(await s.telemetry.insertPoints([point('nul', { sessionId: 's\u0000x', model: 'm\u0000', tokens: 3, ts: 9_000_000 })])).toBe(1);
      expect(await s.telemetry.sumPoints({ since: 9_000_000 })).toMatchObject([{ sessionId: 's\uFFFDx', model: 'm\uFFFD', inputTokens: 3 }]);
    } finally {
      await s.close();
    }
  });
});

afterAll(() => dropSchemas([SCHEMA]));

// Only SQLite could hold such a cost: it stores an overflowing integer as a double, where Postgres refuses it.
describe('telemetry cross-check points on SQLite, stored before costs were bounded', () => {
  it('reads a cost stored beyond 64 bits before costs were bounded (SQLite kept it as a double)', async () => {
    const s = openSqlite(':memory:');
    try {
      await s.telemetry.insertPoints([point('huge', { metric: 'claude_code.cost.usage', tokenType: null, costPicos: 10n ** 19n, ts: 8_000_000 })]);
      const [t] = await s.telemetry.sumPoints({ since: 8_000_000 });
      expect(t!.costPicos).toBeGreaterThan(9n * 10n ** 18n);
    } finally {
      await s.close();
    }
  });
});
