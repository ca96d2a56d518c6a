import { describe, expect, it } from 'vitest';
import { parseLedgerLine } from '../importers/ledger-format.js';
import { sampleRow } from '../storage/testing/rows.js';
import { EXPORT_COLUMNS, csvHeader, toCsvLine, toJsonLine } from './export.js';

describe('export', () => {
  it('writes every documented column, with cost_usd as an exact decimal', () => {
    const line = toJsonLine(sampleRow({ costPicos: 123_456_789_012_345n, tags: { workflow: 'review', cost_usd: 'x' } }));
    expect(line).toContain('"cost_usd":123.456789012345');
    const obj = JSON.parse(line);
    expect(Object.keys(obj)).toEqual([...EXPORT_COLUMNS]);
    expect(obj.tags).toEqual({ workflow: 'review', cost_usd: 'x' });
    expect(obj.ts).toBe('2026-11-20T12:00:00.000Z');
    expect(obj.stream).toBe(false);
  });

  it('writes tags as k=v;k=v in CSV, a value holding ; or % percent-encoded so that it stays one tag', () => {
    const line = toCsvLine(sampleRow({ tags: { workflow: 'review', prompt_version: 'v"7";x', ratio: '50%' } }));
    expect(line).toContain('"workflow=review;prompt_version=v""7""%3Bx;ratio=50%25"');
  });

  it('writes text a spreadsheet would run as a formula (a model name, a user) as text in CSV, a negative saving as a number', () => {
    const line = toCsvLine(sampleRow({ model: '=HYPERLINK("http://x")', user: '@carol', tags: { workflow: "@SUM(1+1)*cmd|'/C calc'!A0" }, routeRule: 'r', routeMode: 'enforce', routeSavingPicos: -500_000_000_000n }));
    expect(line).toContain(`,"'=HYPERLINK(""http://x"")",`);
    expect(line).toContain(",'@carol,");
    expect(line).toContain(",workflow=@SUM(1+1)*cmd|'/C calc'!A0,");
    expect(line).toContain(',r,enforce,-0.5,');
  });

  it('writes the pool that paid after attempts, null when none did', () => {
    expect(EXPORT_COLUMNS.indexOf('pool')).toBe(EXPORT_COLUMNS.indexOf('attempts') + 1);
    expect(JSON.parse(toJsonLine(sampleRow({ pool: 'platform-pool' }))).pool).toBe('platform-pool');
    expect(JSON.parse(toJsonLine(sampleRow())).pool).toBeNull();
    expect(toCsvLine(sampleRow({ pool: 'platform-pool' })).trimEnd().endsWith(',1,platform-pool,,,,req_x,gateway,,')).toBe(true);
    expect(toCsvLine(sampleRow()).trimEnd().endsWith(',1,,,,,req_x,gateway,,')).toBe(true);
  });

  it('writes the routing rule, its mode and the exact saving (negative too), null when no rule matched', () => {
    expect(EXPORT_COLUMNS.slice(-7, -4)).toEqual(['route_rule', 'route_mode', 'route_saving_usd']);
    const line = toJsonLine(sampleRow({ costPicos: 5n, routeRule: 'small-to-haiku', routeMode: 'shadow', routeSavingPicos: 1_234_567_890_123n }));
    expect(line).toContain('"route_saving_usd":1.234567890123');
    expect(line).toContain('"cost_usd":0.000000000005');
    expect(JSON.parse(line)).toMatchObject({ route_rule: 'small-to-haiku', route_mode: 'shadow' });
    expect(JSON.parse(toJsonLine(sampleRow({ routeRule: 'r', routeMode: 'enforce', routeSavingPicos: -2n }))).route_saving_usd).toBe(-0.000000000002);
    expect(JSON.parse(toJsonLine(sampleRow()))).toMatchObject({ route_rule: null, route_mode: null, route_saving_usd: null });
    expect(toCsvLine(sampleRow({ routeRule: 'r', routeMode: 'enforce', routeSavingPicos: 18_750n })).trimEnd().endsWith(',r,enforce,0.00000001875,req_x,gateway,,')).toBe(true);
  });

  it('writes the provider request id, the source and the response id before the service tier, so that imports keep them', () => {
    expect(EXPORT_COLUMNS.slice(-4, -1)).toEqual(['upstream_request_id', 'source', 'response_id']);
    const row = sampleRow({ upstreamRequestId: 'req_9', source: 'claude-code-log', responseId: 'msg_9' });
    expect(JSON.parse(toJsonLine(row))).toMatchObject({ upstream_request_id: 'req_9', source: 'claude-code-log', response_id: 'msg_9' });
    expect(parseLedgerLine(toJsonLine(row))).toMatchObject({ upstreamRequestId: 'req_9', source: 'claude-code-log', responseId: 'msg_9' });
    expect(parseLedgerLine(toJsonLine(sampleRow())).responseId).toBeUndefined();
    expect(JSON.parse(toJsonLine(sampleRow())).response_id).toBeNull();
    expect(toCsvLine(row).trimEnd().endsWith(',req_9,claude-code-log,msg_9,')).toBe(true);
  });

  it('writes the service tier the row was priced at as the last column, null at the standard tier, and reads it back', () => {
    expect(EXPORT_COLUMNS.at(-1)).toBe('service_tier');
    expect(EXPORT_COLUMNS.indexOf('service_tier')).toBe(EXPORT_COLUMNS.indexOf('response_id') + 1);
    const row = sampleRow({ responseId: 'resp_1', serviceTier: 'flex' });
    expect(JSON.parse(toJsonLine(row)).service_tier).toBe('flex');
    expect(parseLedgerLine(toJsonLine(row))).toEqual(row);
    expect(JSON.parse(toJsonLine(sampleRow())).service_tier).toBeNull();
    expect('serviceTier' in parseLedgerLine(toJsonLine(sampleRow()))).toBe(false);
    expect(toCsvLine(row).trimEnd().endsWith(',req_x,gateway,resp_1,flex')).toBe(true);
    expect(toCsvLine(sampleRow({ serviceTier: 'batch+us' })).trimEnd().endsWith(',gateway,,batch+us')).toBe(true);
  });

  it('splices the exact cost into its own member, whatever tags and pool hold', () => {
    const mark = '__tollgate_cost_usd__';
    const row = sampleRow({ costPicos: 1n, tags: { cost_usd: mark }, pool: `"cost_usd":"${mark}"` });
    const obj = JSON.parse(toJsonLine(row));
    expect(obj.cost_usd).toBe(0.000000000001);
    expect(obj.tags).toEqual({ cost_usd: mark });
    expect(obj.pool).toBe(row.pool);
  });

  it('writes null cost for unpriced rows', () => {
    const obj = JSON.parse(toJsonLine(sampleRow({ costPicos: null, unpriced: true })));
    expect(obj.cost_usd).toBeNull();
    expect(obj.unpriced).toBe(true);
  });

  it('writes CSV with k=v;k=v tags and quoting', () => {
    expect(csvHeader().trim().split(',')).toEqual([...EXPORT_COLUMNS]);
    const line = toCsvLine(sampleRow({ tags: { workflow: 'review', prompt_version: 'v7' }, user: 'o,neil', costPicos: 18_750n }));
    expect(line).toContain('workflow=review;prompt_version=v7');
    expect(line).toContain('"o,neil"');
    expect(line).toContain(',0.00000001875,');
  });
});
