import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { baselineRows, spikeRows } from '../../src/anomalies/testing/ledger-seed.js';
import { usd } from '../../src/core/money.js';
import { openSqlite } from '../../src/storage/sqlite/sqlite-storage.js';
import { tollgate } from './cli.js';

describe('tollgate detect (built CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-detect-'));
  const db = join(dir, 'ledger.db');
  const spikeStart = Date.UTC(2026, 10, 18, 14, 7, 30);
  const iso = (ms: number) => new Date(ms).toISOString();

  beforeAll(async () => {
    // Seeded through the storage API: eight days of steady traffic, then alice's spike.
    const storage = openSqlite(db);
    await storage.ledger.insert(baselineRows(spikeStart - 8 * 86_400_000, spikeStart + 3_600_000));
    await storage.ledger.insert(spikeRows('alice', spikeStart, spikeStart + 20 * 60_000));
    await storage.close();
  });

  it('replays a window and reports the spike at the evaluation that would have raised it', async () => {
    const r = await tollgate(['detect', '--db', db, '--since', iso(spikeStart - 30 * 60_000), '--until', iso(spikeStart + 30 * 60_000), '--detector', 'spend_spike', '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { raised: { raised_at: string; detector: string; subject: string; excess_usd: string; evidence: { report: string } }[] };
    const alice = out.raised.filter((x) => x.subject === 'user:alice');
    expect(alice).toHaveLength(1);
    expect(alice[0]!.detector).toBe('spend_spike');
    const at = Date.parse(alice[0]!.raised_at);
    expect(at).toBeGreaterThan(spikeStart);
    expect(at - spikeStart).toBeLessThanOrEqual(5 * 60_000 + 60_000);
    expect(Number(alice[0]!.excess_usd)).toBeGreaterThan(5);
    expect(alice[0]!.evidence.report).toMatch(/^\/admin\/v1\/report\?/);
    expect(out.raised.some((x) => x.subject === 'user:bob')).toBe(false);
  });

  it('prints a table, and is quiet over a clean window', async () => {
    const table = await tollgate(['detect', '--db', db, '--since', iso(spikeStart - 10 * 60_000), '--until', iso(spikeStart + 10 * 60_000), '--step', '2m']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/would have been raised from/);
    expect(table.stdout).toMatch(/spend_spike +(warning|critical) +user:alice/);
    const clean = await tollgate(['detect', '--db', db, '--since', iso(spikeStart - 2 * 3_600_000), '--until', iso(spikeStart - 3_600_000), '--step', '5m']);
    expect(clean.stdout).toContain('Nothing would have been raised');
  });

  it('names a bad flag', async () => {
    const r = await tollgate(['detect', '--db', db, '--since', '1d', '--detector', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--detector must be one of spend_spike, runaway_session, agent_loop, retry_storm, cache_regression, not "nope"');
    expect((await tollgate(['detect', '--db', db])).stderr).toContain('--since is required');
  });
});

describe('tollgate explain (built CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-explain-'));
  const db = join(dir, 'ledger.db');
  const day = Date.UTC(2026, 10, 18);
  const iso = (ms: number) => new Date(ms).toISOString();

  beforeAll(async () => {
    const storage = openSqlite(db);
    await storage.ledger.insert(baselineRows(day - 86_400_000, day + 86_400_000));
    // The second day, alice's agent runs for two hours on top.
    await storage.ledger.insert(spikeRows('alice', day + 10 * 3_600_000, day + 12 * 3_600_000));
    await storage.close();
  });

  it('prints a paragraph, then drivers that add up exactly to the change', async () => {
    const from = `${iso(day - 86_400_000)}..${iso(day)}`;
    const to = `${iso(day)}..${iso(day + 86_400_000)}`;
    const table = await tollgate(['explain', '--db', db, '--from', from, '--to', to]);
    expect(table.stderr).toBe('');
    expect(table.stdout).toMatch(/^Spend rose from \$[\d,.]+ in .* to \$[\d,.]+ in .*, \+\$[\d,.]+ \(\+\d+\.\d%\)\. The biggest driver was /);
    expect(table.stdout).toMatch(/\ndriver +change +what moved\n/);
    expect(table.stdout).toMatch(/total change +\+\$/);

    const json = JSON.parse((await tollgate(['explain', '--db', db, '--from', from, '--to', to, '--format', 'json'])).stdout) as { change_usd: string; drivers: { driver: string; change_usd: string }[] };
    const picos = (s: string) => usd(s);
    expect(json.drivers.reduce((s, d) => s + picos(d.change_usd), 0n)).toBe(picos(json.change_usd));
    expect(json.drivers[0]!.driver).toMatch(/requests|price/);
  });

  it('names a bad window', async () => {
    const r = await tollgate(['explain', '--db', db, '--from', 'fortnight']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('explain: --from: "fortnight" is not a window');
  });
});
