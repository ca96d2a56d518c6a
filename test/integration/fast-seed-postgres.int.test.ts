import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { seedPostgres } from '../../bench/seed-postgres.js';
import { rollupSql } from '../../bench/seed.js';
import type { AttemptRow, LedgerRow } from '../../src/core/ledger-row.js';
import { openPostgres } from '../../src/storage/postgres/postgres-storage.js';
import { MICRO_PICOS, ROLLUP_COUNTS, ROLLUP_SPAN, ROLLUP_TABLES, hasSpan, rollupKeys } from '../../src/storage/schema.js';
import { variedRow } from '../support/seed-rows.js';
import { TEST_PG_URL, dropSchemas } from '../../src/storage/testing/postgres.js';

const ROWS = 4000;
const viaGateway = `tg_fastseed_gw_${process.pid}`;
const fast = `tg_fastseed_fast_${process.pid}`;

const attempt = (r: LedgerRow, n: number): AttemptRow => ({
  requestId: r.id, n, deployment: `dep${n}`, provider: r.provider, model: r.model, status: n === 1 ? 429 : 200, outcome: n === 1 ? 'upstream_error' : 'ok', errorType: null, delivered: n === 2,
  inputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 3, reasoningTokens: 0, toolCalls: 0, usageSource: 'final', costPicos: 7n, startedAt: r.ts + n, latencyMs: 12,
});

/**
 * The SQLite test's rows, with costs that are not whole microdollars (so that the rollups' split of
 * micros and leftover picos is exercised) and a retry logged on some.
 */
function rowOf(i: number): LedgerRow {
  const r = variedRow(i, ROWS);
  const costPicos = r.costPicos === null ? null : r.costPicos + BigInt((i * 7919) % 1_000_000);
  return { ...r, costPicos, ...(i % 7 === 0 ? { attempts: 2, attemptLog: [attempt(r, 1), attempt(r, 2)] } : {}) };
}

async function dump(schema: string, sql: string): Promise<unknown[]> {
  const c = new pg.Client({ connectionString: TEST_PG_URL, options: `-c search_path=${schema}` });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

afterAll(() => dropSchemas([viaGateway, fast]));

describe('the benchmarks fast Postgres seeder', () => {
  it('writes the rows, attempts, rollups and indexes the gateway insert path writes', async () => {
    const storage = await openPostgres({ url: TEST_PG_URL, schema: viaGateway, maxConnections: 2 });
    for (let i = 0; i < ROWS; i += 500) await storage.ledger.insert(Array.from({ length: Math.min(500, ROWS - i) }, (_, j) => rowOf(i + j)));
    await storage.close();
    await seedPostgres({ url: TEST_PG_URL, schema: fast }, ROWS, rowOf);

    const both = async (sql: string) => [await dump(fast, sql), await dump(viaGateway, sql)];
    // Not which write brought each row (arrival, a transaction id): seeded history is loaded in bulk, not written as it arrived.
    const [rows, expected] = (await both('SELECT * FROM requests ORDER BY id')).map((list) => list.map((r) => ({ ...(r as Record<string, unknown>), arrival: undefined })));
    expect(rows).toHaveLength(ROWS);
    expect(rows).toEqual(expected);
    const [attempts, expectedAttempts] = await both('SELECT * FROM attempts ORDER BY request_id, n');
    expect(attempts!.length).toBeGreaterThan(0);
    expect(attempts).toEqual(expectedAttempts);
    for (const table of ROLLUP_TABLES) {
      // The insert path splits each batch's summed cost into micros and leftover picos, so the split depends on the
      // batches; the cost itself does not.
      const keys = rollupKeys(table);
      const all = `SELECT ${[...keys, ...ROLLUP_COUNTS, ...(hasSpan(table) ? ROLLUP_SPAN : [])].join(', ')}, cost_micros::numeric * ${MICRO_PICOS} + cost_rest_picos AS cost FROM ${table} ORDER BY ${keys.join(', ')}`;
      const [got, want] = await both(all);
      expect(want!.length, table).toBeGreaterThan(0);
      expect(got, table).toEqual(want);
    }
    const indexes = 'SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname';
    const [ix, expectedIx] = await both(indexes);
    const unqualified = (rows: unknown[]) => rows.map((r) => ({ ...(r as object), indexdef: String((r as { indexdef: string }).indexdef).replaceAll(`${fast}.`, '').replaceAll(`${viaGateway}.`, '') }));
    expect(unqualified(ix!)).toEqual(unqualified(expectedIx!));
  });

  it('builds one rollup statement per table', () => {
    expect(rollupSql('postgres')).toHaveLength(ROLLUP_TABLES.length);
  });
});
