import { mkdtempSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anomalyAlert } from '../alerts/anomaly-alerts.js';
import { LINK_MS } from '../alerts/signed-link.js';
import { signSpendLink } from '../alerts/spend-link.js';
import { reportQuery } from '../anomalies/evidence.js';
import { replay } from '../anomalies/replay.js';
import { baselineRows, plantedRows } from '../anomalies/testing/ledger-seed.js';
import { type Detection, defaultAnomalySettings } from '../anomalies/types.js';
import { displayUsd } from '../core/money.js';
import type { Storage } from '../storage/ports.js';
import { openPostgres } from '../storage/postgres/postgres-storage.js';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { sampleRow } from '../storage/testing/rows.js';
import { TEST_PG_URL, dropSchemas } from '../storage/testing/postgres.js';
import { type SignedPageDeps, handleEvidenceLink, handleSpendLink } from './signed-pages.js';
import { rowsOf } from '../alerts/testing/page-rows.js';

const SECRET = 'evidence-signing-secret-0123';
const T0 = Date.UTC(2026, 10, 18, 14, 0, 30);
const FOUND = T0 + 15 * 60_000;

let storage: Storage;
let server: Server;
let base: string;
let detections: Detection[];
let now = FOUND;
let showAmounts = true;

const SCHEMA = `tg_evidence_${process.pid}`;
async function freshPostgres(): Promise<Storage> {
  await dropSchemas([SCHEMA]);
  return openPostgres({ url: TEST_PG_URL, schema: SCHEMA });
}

const STORES: [string, () => Promise<Storage>][] = [
  ['SQLite', () => Promise.resolve(openSqlite(join(mkdtempSync(join(tmpdir(), 'tg-evidence-')), 'ledger.db')))],
  ['Postgres', freshPostgres],
];

function detection(detector: string, subject: string): Detection {
  const d = detections.find((x) => x.detector === detector && x.subject === subject);
  if (!d) throw new Error(`no ${detector} on ${subject} among ${detections.map((x) => `${x.detector} ${x.subject}`).join(', ')}`);
  return d;
}

/** The alert's evidence link, fetched from this test's server (the public URL is a stand-in). */
async function open(d: Detection, change?: (q: URLSearchParams) => void, init?: RequestInit): Promise<Response> {
  const url = new URL(anomalyAlert(d, { publicUrl: 'https://tollgate.example', secret: SECRET }, FOUND).evidenceUrl);
  expect(url.origin + url.pathname).toBe('https://tollgate.example/evidence');
  change?.(url.searchParams);
  return fetch(`${base}/evidence?${url.searchParams.toString()}`, init);
}

describe.each(STORES)('an anomaly alert evidence page on %s', (_, openStorage) => {
  beforeAll(async () => {
    storage = await openStorage();
    await storage.ledger.insert([...baselineRows(T0 - 8 * 86_400_000, T0 + 20 * 60_000), ...plantedRows(T0)]);
    const settings = { ...defaultAnomalySettings(), enabled: true };
    detections = (await replay(storage.ledger, settings, () => undefined, { since: T0, until: FOUND })).map((r) => r.detection);
    const deps = (): SignedPageDeps => ({ secret: SECRET, ledger: storage.ledger, rates: () => undefined, flush: () => Promise.resolve(), showAmounts, timeZone: 'Europe/Berlin', now: () => now });
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      void (url.pathname === '/spend' ? handleSpendLink : handleEvidenceLink)(deps(), req, res, url.searchParams);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.close();
    await storage.close();
    await dropSchemas([SCHEMA]);
  });

  it('shows a retry storm with its own key traffic alone and the failed requests rows', async () => {
    const res = await open(detection('retry_storm', 'key:key_storm'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await res.text();
    expect(html).toContain('<h1>Warning: retry storm on key:key_storm</h1>');
    const traffic = rowsOf(html, 'Traffic');
    expect(traffic[0]!.slice(0, 4)).toEqual(['key', 'client', 'api', 'requests']);
    // Only the storming key, though the report asked for every key of the window.
    const keys = new Set(traffic.slice(1, -1).map((r) => r[0]));
    expect([...keys]).toEqual(['key_storm']);
    const total = traffic.at(-1)!;
    expect(total[0]).toBe('total');
    const { since, until } = reportQuery(detection('retry_storm', 'key:key_storm').evidence.report);
    const stormRows = plantedRows(T0).filter((r) => r.keyId === 'key_storm' && r.ts >= since && r.ts < until).length;
    expect(stormRows).toBeGreaterThan(10);
    expect(total[3]).toBe(String(stormRows));
    // The example requests, each as its ledger row.
    const requests = rowsOf(html, 'Example requests');
    expect(requests[0]).toEqual(['time', 'request', 'user', 'session', 'model', 'status', 'outcome', 'input', 'cache read', 'output', 'tool calls', 'cost']);
    expect(requests.length - 1).toBe(detection('retry_storm', 'key:key_storm').evidence.requestIds.length);
    for (const r of requests.slice(1)) {
      expect(r[1]).toMatch(/^storm-\d+$/);
      expect(r.slice(2, 7)).toEqual(['carol', '', 'gpt-5', '429', 'upstream_error']);
    }
    expect(html).toContain('npx tollgate report --since ');
    expect(html).toContain(' --by key client api');
  });

  it('explains a spend spike against the same stretch a day earlier, for that user alone', async () => {
    const d = detection('spend_spike', 'user:alice');
    const html = await (await open(d)).text();
    const change = html.split('<h2>What changed</h2>')[1]!.split('<h2>')[0]!;
    expect(change).toMatch(/User alice&#39;s spend rose from \$[\d.]+ in the same stretch a day earlier to \$[\d,.]+ in the alert window/);
    const drivers = rowsOf(html, 'What changed');
    expect(drivers[0]).toEqual(['driver', 'change', 'detail']);
    expect(drivers.slice(1).map((r) => r[0])).toContain('more requests');
    // The traffic is alice's alone, hour by hour.
    const traffic = rowsOf(html, 'Traffic');
    expect(traffic[0]!.slice(0, 2)).toEqual(['hour (UTC)', 'user']);
    expect(new Set(traffic.slice(1, -1).map((r) => r[1]))).toEqual(new Set(['alice']));
    expect(html).toContain('npx tollgate explain --from ');
  });

  it('explains a team spend spike for that team alone', async () => {
    const d = detection('spend_spike', 'team:platform');
    // Another team spends in the same minutes: its requests are not the platform team's change.
    await storage.ledger.insert([0, 1].map((k) => sampleRow({ id: `design-${k}`, ts: d.windowStart + 1000 * k, team: 'design', costPicos: 5_000_000_000_000n })));
    const html = await (await open(d)).text();
    const teams = await storage.ledger.aggregate({ since: d.windowStart, until: d.windowEnd, by: ['team'] });
    expect(teams.map((r) => r.keys[0]).sort()).toEqual(['design', 'platform']);
    const own = teams.find((r) => r.keys[0] === 'platform')!.costPicos;
    expect(html).toContain(`in the same stretch a day earlier to ${displayUsd(own)} in the alert window`);
    expect(rowsOf(html, 'What changed').slice(1).map((r) => r[0])).toContain('more requests');
  });

  it('leaves every amount out when amounts are hidden', async () => {
    showAmounts = false;
    try {
      for (const d of detections) {
        const html = await (await open(d)).text();
        expect(html, `${d.detector} ${d.subject}`).not.toMatch(/\$\d/);
        expect(html).not.toContain('<th>cost</th>');
      }
    } finally {
      showAmounts = true;
    }
  });

  it('refuses a changed link, an expired one and anything but a read', async () => {
    const d = detection('retry_storm', 'key:key_storm');
    const changed = await open(d, (q) => q.set('s', 'key:key_alice'));
    expect(changed.status).toBe(403);
    expect(await changed.text()).toContain('This link is not valid');
    now = FOUND + LINK_MS;
    try {
      const expired = await open(d);
      expect(expired.status).toBe(403);
      expect(await expired.text()).toContain('This link has expired');
    } finally {
      now = FOUND;
    }
    const post = await open(d, undefined, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('shows where a budget scope spend went, its own requests alone, by user, model, workflow and session', async () => {
    const spend = async (scope: string) => {
      const link = new URL(signSpendLink('https://tollgate.example', SECRET, { budgetId: 'b1', budgetName: null, scope, window: 'daily', windowStart: T0 - 86_400_000, resetsAt: T0 + 86_400_000, at: FOUND, spentPicos: 5n, limitPicos: 10n }));
      const res = await fetch(`${base}/spend${link.search}`);
      expect(res.status).toBe(200);
      return res.text();
    };
    const users = (html: string) => rowsOf(html, 'By user').slice(1).map((r) => r[0]);
    expect(users(await spend('user:alice'))).toEqual(['alice']);
    expect(new Set(users(await spend('org')))).toEqual(new Set(['alice', 'bob', 'carol', 'dave']));
    // The nightly workflow is dave's alone; a model glob takes every model it matches.
    expect(users(await spend('tag:workflow=nightly'))).toEqual(['dave']);
    expect(rowsOf(await spend('model:GPT-*'), 'By model').slice(1).map((r) => r[0])).toEqual(['gpt-5']);
    expect(users(await spend('model:claude-*'))).toEqual([]);
    showAmounts = false;
    try {
      expect(await spend('team:platform')).not.toMatch(/\$\d/);
    } finally {
      showAmounts = true;
    }
  });
});
