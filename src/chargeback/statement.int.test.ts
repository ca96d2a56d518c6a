import { describe, expect, it } from 'vitest';
import { usd } from '../core/money.js';
import { openSqlite } from '../storage/sqlite/sqlite-storage.js';
import { sampleRow } from '../storage/testing/rows.js';
import { renderStatementCsv, renderStatementJson, renderStatementTable } from './render.js';
import { chargeback, monthBounds } from './statement.js';

describe('chargeback statement', () => {
  it('bounds the month in the policy time zone and refuses other shapes', () => {
    expect(monthBounds('2026-10', 'UTC')).toEqual({ since: Date.UTC(2026, 9, 1), until: Date.UTC(2026, 10, 1) });
    // Berlin: October starts at 22:00 UTC on 30 September (summer time) and ends at 23:00 UTC on 31 October.
    expect(monthBounds('2026-10', 'Europe/Berlin')).toEqual({ since: Date.UTC(2026, 8, 30, 22), until: Date.UTC(2026, 9, 31, 23) });
    // Asunción skipped midnight on 1 October 2023: that October started at 01:00 (04:00 UTC) and ended at midnight (03:00 UTC).
    expect(monthBounds('2023-10', 'America/Asuncion')).toEqual({ since: Date.UTC(2023, 9, 1, 4), until: Date.UTC(2023, 10, 1, 3) });
    for (const bad of ['2026-13', '2026', 'October', '2026-1']) expect(() => monthBounds(bad, 'UTC')).toThrow(/use YYYY-MM/);
  });

  it('refuses a month before 1970, which no row the ledger holds can fall in, and takes every one from 1970-01 to 9999-12', () => {
    for (const early of ['0000-01', '0001-12', '1969-12']) expect(() => monthBounds(early, 'UTC')).toThrow(`month "${early}" is before 1970-01: the ledger holds no time before 1970-01-01; use YYYY-MM from 1970-01 to 9999-12, e.g. 2026-10`);
    for (const bad of ['0000-00', '10000-01', '-0001-01']) expect(() => monthBounds(bad, 'UTC')).toThrow(/use YYYY-MM from 1970-01 to 9999-12/);
    expect(monthBounds('1970-01', 'UTC')).toEqual({ since: 0, until: Date.UTC(1970, 1, 1) });
    // Tokyo's January 1970 began nine hours before the epoch: still a month the ledger can answer for.
    expect(monthBounds('1970-01', 'Asia/Tokyo').since).toBe(-9 * 3_600_000);
    expect(monthBounds('9999-12', 'UTC')).toEqual({ since: Date.UTC(9999, 11, 1), until: Date.UTC(10000, 0, 1) });
  });

  it('per team: spend, share, tokens, top models, pools that paid, and unattributed spend on its own line', async () => {
    const s = openSqlite(':memory:');
    const at = (d: number, h = 12) => Date.UTC(2026, 9, d, h);
    await s.ledger.insert([
      sampleRow({ id: 'p1', ts: at(3), team: 'platform', model: 'claude-opus-4-5', costPicos: usd(30), outputTokens: 1000 }),
      sampleRow({ id: 'p2', ts: at(4), team: 'platform', model: 'gpt-5', costPicos: usd(10), pool: 'org-pool' }),
      sampleRow({ id: 'p3', ts: at(5), team: 'platform', model: 'claude-haiku-4-5', costPicos: usd(2) }),
      sampleRow({ id: 'p4', ts: at(6), team: 'platform', model: 'gemini-2.5-pro', costPicos: usd(1) }),
      sampleRow({ id: 'd1', ts: at(7), team: 'data', model: 'gpt-5', costPicos: usd(7) }),
      sampleRow({ id: 'x1', ts: at(8), team: null, model: 'gpt-5', costPicos: usd(50) }),
      // 31 October 23:30 UTC is 1 November in Berlin; 30 September 22:30 UTC is 1 October there.
      sampleRow({ id: 'late', ts: Date.UTC(2026, 9, 31, 23, 30), team: 'data', costPicos: usd(100) }),
      sampleRow({ id: 'early', ts: Date.UTC(2026, 8, 30, 22, 30), team: 'data', costPicos: usd(1000) }),
    ]);
    const utc = await chargeback(s.ledger, { month: '2026-10', timeZone: 'UTC', by: 'team' });
    expect(utc.total.costPicos).toBe(usd(200));
    const berlin = await chargeback(s.ledger, { month: '2026-10', timeZone: 'Europe/Berlin', by: 'team' });
    expect(berlin.total.costPicos).toBe(usd(1100));
    expect(berlin.lines.map((l) => [l.key, l.costPicos, l.sharePpm])).toEqual([
      ['data', usd(1007), 915_455],
      ['platform', usd(43), 39_091],
    ]);
    const platform = berlin.lines[1]!;
    expect(platform.topModels).toEqual([
      { model: 'claude-opus-4-5', costPicos: usd(30) },
      { model: 'gpt-5', costPicos: usd(10) },
      { model: 'claude-haiku-4-5', costPicos: usd(2) },
    ]);
    expect(platform.pools).toEqual([{ pool: 'org-pool', costPicos: usd(10) }]);
    expect(platform).toMatchObject({ requests: 4, outputTokens: 1300 });
    expect(berlin.unattributed).toMatchObject({ key: '', costPicos: usd(50), sharePpm: 45_455 }); // 1007, 43 and 50 of 1100, each rounded to a millionth

    const json = JSON.parse(renderStatementJson(berlin)) as { lines: Record<string, unknown>[]; unattributed: Record<string, unknown>; total: Record<string, unknown> };
    expect(json.lines[1]).toMatchObject({ team: 'platform', spend_usd: '43', share: 0.039091, pools: [{ pool: 'org-pool', spend_usd: '10' }] });
    expect(json.unattributed).toMatchObject({ spend_usd: '50', requests: 1 });
    expect(json.total).toMatchObject({ spend_usd: '1100', requests: 7 });
    const csv = renderStatementCsv(berlin).trim().split('\n');
    expect(csv[0]).toBe('team,spend_usd,share,requests,input_tokens,cache_read_tokens,cache_write_tokens,output_tokens,unpriced_requests,top_models,pools');
    expect(csv[2]).toBe('platform,43,0.039091,4,4000,800,0,1300,0,claude-opus-4-5=30;gpt-5=10;claude-haiku-4-5=2,org-pool=10');
    expect(csv[3]).toMatch(/^,50,/);
    const table = renderStatementTable(berlin);
    expect(table).toMatch(/\(unattributed\) +\$50\.00 +4\.5%/);
    expect(table).toContain('(unattributed): spend by requests with no team; give keys a team or send x-tollgate-team, and import logs with --team (or import.team in the config).');
    expect(table).toMatch(/TOTAL +\$1,?100\.00 +100\.0%/);
    await s.close();
  });

  it('shows no shares for a month without spend (requests that cost nothing)', async () => {
    const s = openSqlite(':memory:');
    await s.ledger.insert([sampleRow({ id: 'z1', ts: Date.UTC(2026, 9, 3), team: 'core', costPicos: 0n }), sampleRow({ id: 'z2', ts: Date.UTC(2026, 9, 4), team: null, costPicos: 0n })]);
    const table = renderStatementTable(await chargeback(s.ledger, { month: '2026-10', timeZone: 'UTC', by: 'team' }));
    expect(table).toMatch(/\ncore +\$0\.00 +- +1 /);
    expect(table).toMatch(/\(unattributed\) +\$0\.00 +- +1 /);
    expect(table).toMatch(/TOTAL +\$0\.00 +- +2 /);
    expect(table).not.toMatch(/%/);
    await s.close();
  });

  it('starts a month at its first midnight where that midnight comes twice', () => {
    expect(new Date(monthBounds('2026-11', 'America/Havana').since).toISOString()).toBe('2026-11-01T04:00:00.000Z');
    expect(new Date(monthBounds('2026-10', 'America/Havana').until).toISOString()).toBe('2026-11-01T04:00:00.000Z');
  });

  it('says a month without requests has not begun when it lies ahead', async () => {
    const s = openSqlite(':memory:');
    const empty = await chargeback(s.ledger, { month: '2030-01', timeZone: 'UTC', by: 'team' });
    expect(renderStatementTable(empty, Date.UTC(2026, 11, 6))).toContain('No spend in this month: it has not begun.');
    expect(renderStatementTable(empty, Date.UTC(2030, 0, 2))).toContain('No spend in this month.\n');
    await s.close();
  });

  it('marks the total, as its lines, when unpriced requests are left out of it', async () => {
    const s = openSqlite(':memory:');
    await s.ledger.insert([sampleRow({ id: 'p1', ts: Date.UTC(2026, 9, 3), team: 'core', costPicos: usd(2) }), sampleRow({ id: 'u1', ts: Date.UTC(2026, 9, 4), team: 'core', costPicos: null, unpriced: true })]);
    const table = renderStatementTable(await chargeback(s.ledger, { month: '2026-10', timeZone: 'UTC', by: 'team' }));
    expect(table).toMatch(/\ncore +\$2\.00\* +100\.0% +2 /);
    expect(table).toMatch(/TOTAL +\$2\.00\* +100\.0% +2 /);
    expect(table).toContain('* 1 request(s) used a model with no known price');
    await s.close();
  });

  it('gives a line none of whose requests had a price no spend: "unpriced" in the table, null in JSON and empty in CSV', async () => {
    const s = openSqlite(':memory:');
    await s.ledger.insert([sampleRow({ id: 'p1', ts: Date.UTC(2026, 9, 3), team: 'core', costPicos: usd(2) }), sampleRow({ id: 'u1', ts: Date.UTC(2026, 9, 4), team: 'lab', model: 'acme-mystery-9', costPicos: null, unpriced: true })]);
    const st = await chargeback(s.ledger, { month: '2026-10', timeZone: 'UTC', by: 'team' });
    expect(renderStatementTable(st)).toMatch(/\nlab +unpriced +unpriced +1 /);
    const json = JSON.parse(renderStatementJson(st)) as { lines: { team: string; spend_usd: string | null }[]; total: { spend_usd: string | null } };
    expect(json.lines.map((l) => [l.team, l.spend_usd])).toEqual([['core', '2'], ['lab', null]]);
    expect(json.total.spend_usd).toBe('2');
    expect(renderStatementCsv(st).split('\n').find((l) => l.startsWith('lab,'))).toMatch(/^lab,,,1,/);
    await s.close();
  });
});
