import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPricer } from '../../src/pricing/index.js';
import { runReport } from '../../src/reports/report.js';
import type { Storage } from '../../src/storage/ports.js';
import { openPostgres } from '../../src/storage/postgres/postgres-storage.js';
import { TEST_PG_URL, dropSchemas } from '../../src/storage/testing/postgres.js';
import { type Harness, startHarness } from '../support/harness.js';
import { cliWithEnv } from '../support/cli.js';

const pricer = createPricer();
const SCHEMA = `tg_otlp_reqid_${process.pid}`;
const STORES: [string, (() => Promise<Storage>) | undefined][] = [
  ['SQLite', undefined],
  ['Postgres', async () => (await dropSchemas([SCHEMA]), openPostgres({ url: TEST_PG_URL, schema: SCHEMA }))],
];
const work = mkdtempSync(join(tmpdir(), 'tollgate-otlp-reqid-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const T0 = Date.parse('2026-11-30T10:00:05.000Z');

/** A `claude_code.api_request` log record, as OTLP/JSON, stamped at `at`. */
function record(requestId: string, at: number) {
  const attrs: Record<string, string | number> = {
    'event.name': 'api_request',
    'session.id': 'sess-dup',
    model: 'claude-sonnet-4-5',
    input_tokens: 100,
    output_tokens: 50,
    cache_read_tokens: 2000,
    cache_creation_tokens: 300,
    duration_ms: 1500,
    request_id: requestId,
  };
  return {
    timeUnixNano: `${BigInt(at) * 1_000_000n}`,
    body: { stringValue: 'claude_code.api_request' },
    attributes: Object.entries(attrs).map(([key, v]) => ({ key, value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v } })),
  };
}

const cli = cliWithEnv;

describe.each(STORES)('Claude Code events of one request id on %s', (store, storage) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ price: (q) => pricer(q), storage });
  });
  afterAll(async () => {
    await h.close();
    if (storage) await dropSchemas([SCHEMA]);
  });

  const send = async (...records: ReturnType<typeof record>[]) => {
    const body = { resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'claude-code' } }] }, scopeLogs: [{ logRecords: records }] }] };
    const res = await fetch(`${h.url}/v1/logs`, { method: 'POST', body: JSON.stringify(body), headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
  };
  const spend = async () => (await runReport(h.tollgate.storage.ledger, { since: 0, by: [] })).rows.reduce((n, r) => ({ requests: n.requests + r.requests, cost: n.cost + r.costPicos }), { requests: 0, cost: 0n });

  it('make one row whatever their times, the first copy kept, in separate batches or in one, and the session’s log import adds none', async () => {
    await h.mark();
    // Re-sent with another time (an exporter that stamps a record when it sends it): a later request.
    await send(record('req_dup_apart', T0));
    await send(record('req_dup_apart', T0 + 40_000));
    // Both copies in one request, the later time first.
    await send(record('req_dup_batch', T0 + 90_000), record('req_dup_batch', T0 + 60_000));
    const rows = (await h.rows()).sort((a, b) => a.ts - b.ts);
    expect(rows.map((r) => [r.upstreamRequestId, r.ts])).toEqual([
      ['req_dup_apart', T0 - 1500],
      ['req_dup_batch', T0 + 90_000 - 1500],
    ]);
    // The rollups the reports read count each call once too.
    const one = rows[0]!.costPicos!;
    expect(one).toBeGreaterThan(0n);
    expect(await spend()).toEqual({ requests: 2, cost: 2n * one });

    // The same session’s transcript, pushed by `tollgate import`: its lines carry the same request ids.
    const dir = join(work, store, 'projects', '-p');
    mkdirSync(dir, { recursive: true });
    const line = (msg: string, req: string, at: number) =>
      JSON.stringify({ cwd: '/p', sessionId: 'sess-dup', requestId: req, type: 'assistant', timestamp: new Date(at).toISOString(), message: { id: msg, model: 'claude-sonnet-4-5', usage: { input_tokens: 100, output_tokens: 50, cache_read_input_tokens: 2000, cache_creation_input_tokens: 300 } } });
    writeFileSync(join(dir, 'sess-dup.jsonl'), `${line('msg_a', 'req_dup_apart', T0)}\n${line('msg_b', 'req_dup_batch', T0 + 60_000)}\n`);
    const pushed = await cli(['import', '--push', h.url, '--source', 'claude-code', '--dir', join(work, store), '--json', '--state', join(work, `${store}-state.json`)], { TOLLGATE_ADMIN_TOKEN: 'admin-secret' });
    expect(pushed.code, pushed.err).toBe(0);
    expect(JSON.parse(pushed.out)).toMatchObject({ written: 0 });
    // And a copy arriving after the import is still the same row.
    await send(record('req_dup_apart', T0 + 120_000));
    expect((await h.rows()).map((r) => r.id).sort()).toEqual(rows.map((r) => r.id).sort());
    expect(await spend()).toEqual({ requests: 2, cost: 2n * one });
  });
});
