import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withPrefix } from '../../bench/cache-report.js';
import { DAYS, START, benchRow } from '../../bench/reports.js';
import { seedLedger } from '../../bench/seed.js';
import { CACHE_GROUP_BY, CacheAnalyser } from '../../src/cache-analysis/analyse.js';
import { cacheReportJson, rowPricer, runCacheReport } from '../../src/cache-analysis/report.js';
import type { LedgerRow } from '../../src/core/ledger-row.js';
import { createPricer } from '../../src/pricing/index.js';
import type { Storage } from '../../src/storage/ports.js';
import { openSqlite } from '../../src/storage/sqlite/sqlite-storage.js';
import { rng } from '../../src/storage/testing/rows.js';

const ROWS = 8000;
const dir = mkdtempSync(join(tmpdir(), 'tollgate-cache-scan-'));
let storage: Storage;

/**
 * The cache-report benchmark's ledger, packed into a few hours (calls 2 s apart, a 10-minute
 * pause every 97, so that writes are read back, lapse, and are written again), with some failed
 * requests (which the report leaves out) and some `cache: auto` ones.
 */
function rowAt(r: () => number): (i: number) => LedgerRow {
  return (i) => {
    const base = withPrefix(benchRow(i, ROWS, r), i);
    // Two client releases, so that the narrowed scan must carry each row's version.
    const row = { ...base, ts: START + i * 2000 + Math.floor(i / 97) * 600_000, tags: { ...base.tags, client_version: i < ROWS / 2 ? '2.1.197' : '2.1.198' } };
    if (i % 37 === 0) return { ...row, status: 429, outcome: 'upstream_error' };
    if (i % 53 === 0) return { ...row, status: 200, outcome: 'client_aborted' };
    if (i % 5 === 0) return { ...row, tags: { ...row.tags, cache: 'auto' } };
    return row;
  };
}

beforeAll(() => {
  const path = join(dir, 'ledger.db');
  seedLedger(path, ROWS, rowAt(rng(7)));
  storage = openSqlite(path);
});
afterAll(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

const price = rowPricer(createPricer(), (p) => (p === 'anthropic' ? 'anthropic' : undefined));
const window = { since: START, until: START + DAYS * 86_400_000 };

describe('cache-report over a generated ledger', () => {
  for (const by of CACHE_GROUP_BY) {
    it(`finds what it found before the scan was narrowed (--by ${by})`, async () => {
      const report = await runCacheReport(storage.ledger, { ...window, by, price });
      expect(report.findings.length).toBeGreaterThan(0);
      // The report as the analyser makes it from whole ledger rows, as it read them before.
      const whole = new CacheAnalyser({ ...window, by, price });
      for await (const row of storage.ledger.scan(window)) whole.add(row);
      expect(report).toEqual(whole.finish());
      // And as the code before this change reported it (recorded from it, then kept; by key and session the files would be large).
      if (by === 'workflow' || by === 'model') await expect(JSON.stringify(cacheReportJson(report), null, 1)).toMatchFileSnapshot(`./fixtures/cache-report-${by}.json`);
    }, 120_000);
  }

  it('tells its progress through the window, in time order, to the last row read', async () => {
    const seen: [number, number][] = [];
    await runCacheReport(storage.ledger, { ...window, by: 'workflow', price, progress: (done, total) => seen.push([done, total]) });
    expect(seen.length).toBeGreaterThan(1);
    const total = window.until - window.since;
    expect(seen.every(([, t]) => t === total)).toBe(true);
    expect(seen.map(([d]) => d)).toEqual([...seen.map(([d]) => d)].sort((a, b) => a - b));
    // The last ok row is the ledger's last row, packed into the window's first hours.
    const last = rowAt(rng(7))(ROWS - 1).ts - window.since;
    expect(seen.at(-1)![0]).toBeLessThanOrEqual(last);
    expect(seen.at(-1)![0]).toBeGreaterThan(last - 10_000);
  });
});
