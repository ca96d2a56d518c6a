import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../cli/program.js';
import { silentLogger } from '../core/logger.js';
import { KeyResolver } from '../identity/key-resolver.js';
import { createPricer } from '../pricing/index.js';
import { rateBook } from '../pricing/unit-rates.js';
import { createHttpServer } from '../server/http-server.js';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { sampleRow } from '../storage/testing/rows.js';
import { loadOverview } from '../ui/overview.js';
import { renderOverview } from '../ui/overview-page.js';
import { parseOutcome } from './outcome.js';

// A session whose only request has no price (Opus 4.1 at speed=fast, left unpriced), and one with one unpriced request of three.
const dir = mkdtempSync(join(tmpdir(), 'tg-outcomes-unpriced-'));
const db = join(dir, 'tollgate.db');
const AT = Date.now() - 3_600_000;
const OPUS = 'claude-opus-4-1-20250805';
const PORT = 19350;
const TOKEN = 'adm-token';

beforeAll(async () => {
  const s = openSqlite(db);
  const priced = (id: string) => sampleRow({ id, upstreamRequestId: id, ts: AT, sessionId: 'gw-sess-1', model: 'claude-haiku-4-5', costPicos: 4_500_000_000n });
  const unpriced = (id: string, session: string) => sampleRow({ id, upstreamRequestId: id, ts: AT, sessionId: session, model: OPUS, source: 'otlp', costPicos: null, unpriced: true });
  await s.ledger.insert([priced('gw-1'), priced('gw-2'), unpriced('gw-3', 'gw-sess-1'), unpriced('otel-1', 'otel-sess-2')]);
  await s.outcomes.add(parseOutcome({ id: 'pr-1', kind: 'pr_merged', session: 'gw-sess-1', ts: AT + 60_000 }, AT));
  await s.outcomes.add(parseOutcome({ id: 'pr-2', kind: 'pr_merged', session: 'otel-sess-2', ts: AT + 60_000 }, AT));
  await s.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<string> {
  let out = '';
  let err = '';
  const code = await run(['outcomes', 'report', '--since', '1d', ...args, '--db', db], { out: (t) => (out += t), err: (t) => (err += t) });
  expect(err).toBe('');
  expect(code).toBe(0);
  return out;
}

describe('tollgate outcomes report with unpriced requests', () => {
  it('reads "unpriced" for a session with no priced request, stars a partly priced one, and footnotes the count', async () => {
    const lines = (await cli('--by', 'session')).split('\n');
    expect(lines.find((l) => l.startsWith('otel-sess-2'))).toMatch(/^otel-sess-2 +1 +unpriced +1 +unpriced +unpriced +unpriced$/);
    expect(lines.find((l) => l.startsWith('gw-sess-1'))).toMatch(/^gw-sess-1 +3 +\$0\.0090\* +1 +\$0\.0090\* +\$0\.0090\* +\$0\.0090\*$/);
    expect(lines.find((l) => l.startsWith('TOTAL'))).toMatch(/^TOTAL +4 +\$0\.0090\* +2 +\$0\.0045\* +\$0\.0090\* +\$0\.0045\*$/);
    expect(lines).toContain('* 2 request(s) used a model with no known price; their cost is not included, nor in the cost per outcome divided from it (a group none of whose requests had a price reads "unpriced", not $0). Add a pricing override (pricing.overrides in the config); see docs/pricing.md.');
  });

  it('gives JSON null and an empty CSV field for a spend of no known price, with the unpriced counts', async () => {
    const json = JSON.parse(await cli('--by', 'session', '--format', 'json')) as { rows: Record<string, unknown>[]; total: Record<string, unknown> };
    expect(json.rows.find((r) => r.session === 'otel-sess-2')).toEqual({ session: 'otel-sess-2', requests: 1, spend_usd: null, outcomes: 1, cost_per_outcome_usd: null, session_spend_usd: null, session_outcomes: 1, session_cost_per_outcome_usd: null, unpriced_requests: 1, session_unpriced_requests: 1 });
    expect(json.rows.find((r) => r.session === 'gw-sess-1')).toMatchObject({ requests: 3, spend_usd: '0.009', cost_per_outcome_usd: '0.009', unpriced_requests: 1, session_unpriced_requests: 1 });
    expect(json.total).toMatchObject({ requests: 4, spend_usd: '0.009', cost_per_outcome_usd: '0.0045', unpriced_requests: 2, session_unpriced_requests: 2 });
    const csv = (await cli('--by', 'model', '--format', 'csv')).split('\n');
    expect(csv[0]).toBe('model,requests,spend_usd,outcomes,cost_per_outcome_usd,session_spend_usd,session_outcomes,session_cost_per_outcome_usd,unpriced_requests,session_unpriced_requests');
    // pr-2 is credited to Opus, the only model of otel-sess-2; pr-1 to Haiku, which spent the most of gw-sess-1.
    expect(csv).toContain(`${OPUS},2,,1,,,1,,2,1`);
    expect(csv).toContain('claude-haiku-4-5,2,0.009,1,0.009,0.009,1,0.009,0,1');
  });

  it('answers the admin API the same: GET /admin/v1/outcomes/report', async () => {
    const storage = openSqlite(db);
    const server: Server = createHttpServer({
      gateway: (_req, res) => Promise.resolve(void res.writeHead(404).end()),
      admin: { storage, keys: new KeyResolver(storage.keys), token: TOKEN, flush: () => Promise.resolve() },
      ready: () => Promise.resolve(true),
      log: silentLogger,
    });
    await new Promise<void>((r) => server.listen(PORT, '127.0.0.1', r));
    try {
      const get = (q: string) => fetch(`http://127.0.0.1:${PORT}/admin/v1/outcomes/report?since=1d&${q}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const json = (await (await get('by=session')).json()) as { rows: Record<string, unknown>[] };
      expect(json.rows.find((r) => r.session === 'otel-sess-2')).toMatchObject({ spend_usd: null, cost_per_outcome_usd: null, unpriced_requests: 1 });
      const csv = (await (await get('by=session&format=csv')).text()).split('\n');
      expect(csv).toContain('otel-sess-2,1,,1,,,1,,1,1');
      expect(csv).toContain('gw-sess-1,3,0.009,1,0.009,0.009,1,0.009,1,1');
    } finally {
      await new Promise((r) => server.close(r));
      await storage.close();
    }
  });
});

describe('the dashboard narrowed to a model none of whose requests had a price', () => {
  it('shows its spend as unpriced and says why its change cannot be told, not "$0.00" and "Nothing moved"', async () => {
    const storage = openSqlite(db);
    try {
      const o = await loadOverview({ ledger: storage.ledger, rates: rateBook(createPricer(), {}) }, '24h', Date.now(), { field: 'model', value: OPUS });
      const html = renderOverview(o, 'UTC');
      expect(html).toContain('<dt>Spend</dt><dd>unpriced ($0.00 in the 24 hours before)</dd>');
      expect(html).toContain(`Model ${OPUS}&#39;s spend is unknown: none of its requests had a known price (0 in prev-24h, 2 in last-24h), so its change cannot be told.`);
      expect(html).not.toContain('Nothing moved');
    } finally {
      await storage.close();
    }
  });
});
