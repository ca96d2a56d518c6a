import { afterAll, describe, expect, it } from 'vitest';
import { budgetCounter } from '../../src/policy/plan.js';
import { reconcile } from '../../src/policy/reconcile.js';
import { createPricer } from '../../src/pricing/index.js';
import type { Storage } from '../../src/storage/ports.js';
import { openPostgres } from '../../src/storage/postgres/postgres-storage.js';
import { TEST_PG_URL, dropSchemas } from '../../src/storage/testing/postgres.js';
import { type Harness, type HarnessOptions, spentOn, startHarness, testBudget } from '../support/harness.js';

// Calls reported to the OTLP receiver are rows the gateway did not serve: no reservation settles
// them, so their spend reaches the budgets through the charges queued with the rows. Before, it
// reached them only when a restart rebuilt the counters from the ledger (reconcile showed the drift).

const pricer = createPricer();
const SCHEMA = `tg_otlp_budgets_${process.pid}`;
afterAll(() => dropSchemas([SCHEMA]));
const budget = testBudget({ scope: 'user:alice', window: 'day', limit_usd: 100 });
const WRITERS: [string, HarnessOptions][] = [
  ['the writer thread', {}],
  ['the writer on the event loop', { inlineWriter: { insertLockWaitMs: 5000 } }],
  ['Postgres', { storage: async (): Promise<Storage> => (await dropSchemas([SCHEMA]), openPostgres({ url: TEST_PG_URL, schema: SCHEMA })) }],
];

/** A `claude_code.api_request` event as OTLP/JSON. */
function event(requestId: string) {
  const attrs: Record<string, string | number> = { 'event.name': 'api_request', 'session.id': 'sess-otel', model: 'claude-sonnet-4-5', input_tokens: 1000, output_tokens: 500, cache_read_tokens: 20000, duration_ms: 900, request_id: requestId };
  const body = {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'claude-code' } }] },
        scopeLogs: [{ logRecords: [{ timeUnixNano: `${BigInt(Date.now()) * 1_000_000n}`, body: { stringValue: 'claude_code.api_request' }, attributes: Object.entries(attrs).map(([key, v]) => ({ key, value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v } })) }] }],
      },
    ],
  };
  return JSON.stringify(body);
}

describe.each(WRITERS)('spend reported over OTLP counts against budgets (%s)', (_name, o) => {
  let h: Harness;
  afterAll(async () => {
    await h?.close();
  });

  it('once per call, a copy sent again adding nothing, and reconciliation finds no drift', async () => {
    h = await startHarness({ price: (q) => pricer(q), policy: { rules: { budgets: [budget], rateLimits: [], modelPolicies: [] } }, ...o });
    const p = h.tollgate.policy!;
    // The counter is live (a request was checked against it): spend must reach it while the gateway runs.
    const counter = budgetCounter(p.settings.keyPrefix, budget, p.rules.current(), Date.now(), p.settings.timeZone);
    await p.counters.initialize([await p.fromLedger(counter, Date.now())]);
    const send = async (id: string) => {
      const res = await fetch(`${h.url}/v1/logs`, { method: 'POST', body: event(id), headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' } });
      expect(res.status).toBe(200);
    };
    await send('req_otel_1');
    await send('req_otel_1');
    await send('req_otel_2');
    const rows = await h.rows();
    expect(rows.map((r) => r.source)).toEqual(['claude-code-otel', 'claude-code-otel']);
    const cost = rows.reduce((a, r) => a + r.costPicos!, 0n);
    expect(cost).toBeGreaterThan(0n);
    await h.tollgate.flush();
    await p.catchUp();
    expect(await spentOn(h.tollgate, budget)).toBe(cost);
    const drifts = await reconcile(p.rules.current(), p.counters, (c, at) => p.fromLedger(c, at), p.settings, Date.now());
    expect(drifts.filter((d) => d.counter.budget.id === budget.id).map((d) => d.drift)).toEqual([0n]);
  });
});
