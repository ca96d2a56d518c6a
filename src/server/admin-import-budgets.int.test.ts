import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { usd } from '../core/money.js';
import { budgetCounter } from '../policy/plan.js';
import { budgetInput, parseRule, toBudget } from '../policy/rule-input.js';
import { pricerWith } from '../pricing/pricer.js';
import { catalogLookup } from '../pricing/snapshot.js';
import { toJsonLine } from '../reports/export.js';
import type { LedgerStore, Storage } from '../storage/ports.js';
import { openPostgres } from '../storage/postgres/postgres-storage.js';
import { openSqliteLedger } from '../storage/sqlite/ledger.js';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { TEST_PG_URL, dropSchemas } from '../storage/testing/postgres.js';
import { sampleRow } from '../storage/testing/rows.js';
import { importPricer } from './admin-ledger-import.js';
import { serveAdmin } from './testing/admin-server.js';
import { testRuntime } from './testing/policy-runtime.js';

const SCHEMA = 'admin_import_budgets';
let schemas = 0;
const dir = mkdtempSync(join(tmpdir(), 'tollgate-import-budgets-'));
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await dropSchemas(Array.from({ length: schemas }, (_, i) => `${SCHEMA}_${i + 1}`));
});

const platform = toBudget(parseRule(budgetInput, { id: 'platform', scope: 'team:platform', window: 'month', limit_usd: 400 }), 'budget', 'config', 0);

/** Two connections to one database: the gateway's, and a second process's (`tollgate import`). */
const engines: [string, () => Promise<{ gateway: Storage; importer: { ledger: LedgerStore; close(): Promise<void> } }>][] = [
  [
    'SQLite',
    () => {
      const file = join(dir, `${Math.random()}.db`);
      const gateway = openSqlite(file);
      return Promise.resolve({ gateway, importer: openSqliteLedger(file) });
    },
  ],
  [
    'Postgres',
    async () => {
      const schema = `${SCHEMA}_${++schemas}`;
      const gateway = await openPostgres({ url: TEST_PG_URL, schema, maxConnections: 2 });
      await gateway.ledger.ping();
      return { gateway, importer: await openPostgres({ url: TEST_PG_URL, schema, maxConnections: 2 }) };
    },
  ],
];

const logRow = (id: string, cost: string, over: Partial<Parameters<typeof sampleRow>[0]> = {}) =>
  sampleRow({ id, ts: Date.now() - 60_000, source: 'claude-code-log', team: 'platform', user: 'dev', costPicos: usd(cost), upstreamRequestId: `req_${id}`, ...over });

async function setup(gateway: Storage) {
  const runtime = await testRuntime(gateway, { rules: { budgets: [platform] } });
  const admin = await serveAdmin(gateway, { policy: runtime });
  const counter = () => budgetCounter(runtime.settings.keyPrefix, platform, runtime.rules.current(), Date.now(), runtime.settings.timeZone);
  const counted = async () => (await runtime.counters.read([counter().line]))[0]!.spent;
  const reconcile = async () => {
    const r = await fetch(`${admin.base}/budgets/reconcile`, { headers: { ...admin.auth.headers, 'content-type': 'application/x-ndjson' } });
    return ((await r.json()) as { data: { budget_id: string; counted_usd: string; ledger_usd: string; drift_usd: string }[] }).data.find((d) => d.budget_id === 'platform')!;
  };
  // The gateway has served a request: the month’s counter is initialised from the ledger.
  await runtime.counters.initialize([await runtime.fromLedger(counter(), Date.now())]);
  return { runtime, admin, counter, counted, reconcile };
}

describe.each(engines)('imported spend counts against budgets while the gateway runs (%s)', (_name, open) => {
  it('adds rows pushed through the admin API to the counters as they are written, a replaced row by its difference', async () => {
    const { gateway, importer } = await open();
    const { admin, counted, reconcile } = await setup(gateway);
    const push = (body: string) => fetch(`${admin.base}/ledger/import`, { method: 'POST', body, headers: { ...admin.auth.headers, 'content-type': 'application/x-ndjson' } });
    expect((await push(toJsonLine(logRow('a', '0.45')))).status).toBe(200);
    expect(await counted()).toBe(usd('0.45'));
    // The same response pushed again with grown usage replaces its row: counted once, at its new cost.
    await push(toJsonLine(logRow('a', '0.5', { outputTokens: 999 })));
    await push(toJsonLine(logRow('a', '0.5', { outputTokens: 999 })));
    expect(await counted()).toBe(usd('0.5'));
    // A ledger file pushed with mode=insert counts too.
    await fetch(`${admin.base}/ledger/import?mode=insert`, { method: 'POST', body: toJsonLine(sampleRow({ id: 'l', ts: Date.now() - 1000, team: 'platform', costPicos: usd('0.01') })), headers: { ...admin.auth.headers, 'content-type': 'application/x-ndjson' } });
    expect(await counted()).toBe(usd('0.51'));
    expect(await reconcile()).toMatchObject({ counted_usd: '0.51', ledger_usd: '0.51', drift_usd: '0' });
    admin.close();
    await importer.close();
    await gateway.close();
  });

  it('picks up rows another process wrote into its ledger at the next catch-up, without counting any twice', async () => {
    const { gateway, importer } = await open();
    const { runtime, admin, counter, counted, reconcile } = await setup(gateway);
    // The gateway’s own request: written and settled by the gateway, not charged again.
    await gateway.ledger.insert([sampleRow({ id: 'own', ts: Date.now() - 1000, team: 'platform', costPicos: usd('0.004'), upstreamRequestId: 'req_own' })]);
    await runtime.counters.adjust(counter().line, usd('0.004'));
    // `tollgate import` in another process: a row, then the same response grown, and a removal.
    await importer.ledger.upsert([logRow('p', '0.04'), logRow('q', '0.02')], [], { charge: true });
    await importer.ledger.upsert([logRow('p', '0.05', { outputTokens: 999 })], ['q'], { charge: true });
    // The transcript of a call the gateway made (same request id): the gateway’s row stays, nothing is charged.
    await importer.ledger.insertCharged([logRow('dup', '0.3', { upstreamRequestId: 'req_own' })]);
    expect(await counted()).toBe(usd('0.004'));
    await runtime.catchUp();
    expect(await counted()).toBe(usd('0.054'));
    await runtime.catchUp();
    expect(await counted()).toBe(usd('0.054'));
    expect(await reconcile()).toMatchObject({ counted_usd: '0.054', ledger_usd: '0.054', drift_usd: '0' });
    admin.close();
    await importer.close();
    await gateway.close();
  });

  it('leaves out of a counter initialised from the ledger the imported rows it then adds at the catch-up', async () => {
    const { gateway, importer } = await open();
    const runtime = await testRuntime(gateway, { rules: { budgets: [platform] } });
    const line = budgetCounter(runtime.settings.keyPrefix, platform, runtime.rules.current(), Date.now(), runtime.settings.timeZone);
    await importer.ledger.insertCharged([logRow('z', '0.07')]);
    // A counter made after the import (a restart, a new window) but before the catch-up.
    await runtime.counters.initialize([await runtime.fromLedger(line, Date.now())]);
    await runtime.catchUp();
    expect((await runtime.counters.read([line.line]))[0]!.spent).toBe(usd('0.07'));
    await importer.close();
    await gateway.close();
  });
});

describe('pushed log rows are priced by the receiving gateway', () => {
  it('applies the gateway’s discount whatever cost the pusher sent, and says what it priced; a ledger file keeps its costs', async () => {
    const storage = openSqlite(':memory:');
    const price = pricerWith(catalogLookup(), { discounts: { anthropic: '0.05' } });
    const admin = await serveAdmin(storage, { importPrice: importPricer(price, () => undefined) });
    const usage = { inputTokens: 100_000, outputTokens: 10_000, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0 };
    const row = sampleRow({ id: 'cc', ts: Date.UTC(2026, 10, 20), source: 'claude-code-log', api: 'anthropic.messages', provider: 'anthropic', model: 'claude-sonnet-4-5', ...usage, costPicos: usd('0.45'), upstreamRequestId: 'req_cc' });
    const r = await fetch(`${admin.base}/ledger/import`, { method: 'POST', body: toJsonLine(row), headers: { ...admin.auth.headers, 'content-type': 'application/x-ndjson' } });
    expect(await r.json()).toMatchObject({ written: 1, cost_usd: '0.4275' });
    expect((await storage.ledger.get('cc'))!.costPicos).toBe(usd('0.4275'));
    const file = { ...row, id: 'file', source: 'gateway', upstreamRequestId: 'req_file' };
    await fetch(`${admin.base}/ledger/import?mode=insert`, { method: 'POST', body: toJsonLine(file), headers: { ...admin.auth.headers, 'content-type': 'application/x-ndjson' } });
    expect((await storage.ledger.get('file'))!.costPicos).toBe(usd('0.45'));
    admin.close();
    await storage.close();
  });

  it('prices a pushed log row at the tier it was recorded at (Claude Code fast mode, US-only inference) and keeps the tier', async () => {
    const storage = openSqlite(':memory:');
    const admin = await serveAdmin(storage, { importPrice: importPricer(pricerWith(catalogLookup()), () => undefined) });
    const usage = { inputTokens: 1000, outputTokens: 100, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0 };
    const at = { ts: Date.UTC(2026, 10, 20), source: 'claude-code-log', api: 'anthropic.messages' as const, provider: 'anthropic', model: 'claude-opus-5-5', ...usage, costPicos: 1n };
    const fast = sampleRow({ id: 'fast', ...at, serviceTier: 'fast+us', upstreamRequestId: 'req_fast' });
    const standard = sampleRow({ id: 'std', ...at, upstreamRequestId: 'req_std' });
    const r = await fetch(`${admin.base}/ledger/import`, { method: 'POST', body: toJsonLine(fast) + toJsonLine(standard), headers: { ...admin.auth.headers, 'content-type': 'application/x-ndjson' } });
    expect(r.status).toBe(200);
    // Opus 5.5 at $4 / $20 a million (protocols.md §6.2): $0.006; fast mode 2x and US-only 1.1x.
    expect(await storage.ledger.get('std')).toMatchObject({ costPicos: usd('0.006') });
    expect(await storage.ledger.get('fast')).toMatchObject({ costPicos: usd('0.0132'), serviceTier: 'fast+us' });
    admin.close();
    await storage.close();
  });
});
