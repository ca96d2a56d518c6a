import { describe, expect, it } from 'vitest';
import { usd } from '../core/money.js';
import { emptyTotals } from '../storage/ports.js';
import { renderCsv, renderJson, renderTable } from './render.js';
import type { Report } from './report.js';

const none = { top: 0, of: 0, share: null };
const report = (by: Report['query']['by'], rows: Report['rows'], total: Report['total']): Report => ({ query: { by }, rows, total, concentration: { sessions: none, workflows: none } });

describe('report table', () => {
  it('writes (none) for a group without a value, and leaves the total row\'s other group columns blank', () => {
    const row = (keys: string[], requests: number) => ({ ...emptyTotals(), keys, requests });
    const lines = renderTable(report(['client', 'tag:workflow'], [row(['curl', ''], 2), row(['curl', 'review'], 3)], { ...emptyTotals(), requests: 5 })).split('\n');
    expect(lines[2]).toMatch(/^curl\s+\(none\)\s+2 /);
    expect(lines[3]).toMatch(/^curl\s+review\s+3 /);
    expect(lines[5]).toMatch(/^TOTAL\s+5 /);
  });

  it('writes costs as dollars and cents, thousands grouped, a sub-cent cost not as $0.00, unpriced rows starred', () => {
    const row = (keys: string[], costPicos: bigint, unpricedRequests = 0) => ({ ...emptyTotals(), keys, requests: 1, costPicos, unpricedRequests });
    const rows = [row(['big'], usd('1234.5')), row(['tiny'], usd('0.0042')), { ...row(['free'], 0n, 1), requests: 2 }];
    const text = renderTable(report(['model'], rows, { ...emptyTotals(), requests: 4, costPicos: usd('1234.5042'), unpricedRequests: 1 }));
    expect(text).toMatch(/\nbig +1 .* \$1,234\.50 /);
    expect(text).toMatch(/\ntiny +1 .* <\$0\.01 /);
    expect(text).toMatch(/\nfree +2 .* \$0\.00\* /);
    expect(text).toMatch(/\nTOTAL +4 .* \$1,234\.50\* /);
  });

  it('says beneath the table when the rows, each rounded on its own, do not add up to the total, and not when they do', () => {
    const row = (keys: string[], cost: string) => ({ ...emptyTotals(), keys, requests: 1, costPicos: usd(cost) });
    const rows = [row(['a'], '1.004'), row(['b'], '1.004'), row(['c'], '1.004')];
    const text = renderTable(report(['team'], rows, { ...emptyTotals(), requests: 3, costPicos: usd('3.012') }));
    expect(text).toMatch(/\na +1 .* \$1\.00 /);
    expect(text).toMatch(/\nTOTAL +3 .* \$3\.01 /);
    expect(text).toContain('\nEach amount is rounded to the cent on its own: the lines as shown add up to $3.00, and the total, their exact sum rounded, is $3.01. --format csv or json gives exact amounts.\n');
    const exact = renderTable(report(['team'], [row(['a'], '1.25'), row(['b'], '2.5')], { ...emptyTotals(), requests: 2, costPicos: usd('3.75') }));
    expect(exact).not.toContain('rounded');
    // The CSV keeps every row exact.
    expect(renderCsv(report(['team'], rows, { ...emptyTotals(), requests: 3, costPicos: usd('3.012') })).split('\n')[1]).toBe('a,1,0,0,0,0,0,0,0,1.004,,0,0');
  });

  it('gives a group none of whose requests had a price no cost: "unpriced" in the table, null in JSON and empty in CSV', () => {
    const row = (keys: string[], requests: number, costPicos: bigint, unpricedRequests: number) => ({ ...emptyTotals(), keys, requests, costPicos, unpricedRequests });
    const rows = [row(['gpt-5'], 2, usd('0.5'), 0), row(['acme-mystery-9'], 1, 0n, 1), row(['mixed'], 3, usd('0.25'), 1)];
    const r = report(['model'], rows, { ...emptyTotals(), requests: 6, costPicos: usd('0.75'), unpricedRequests: 2 });
    const text = renderTable(r);
    expect(text).toMatch(/\nacme-mystery-9 +1 .* unpriced /);
    expect(text).toMatch(/\nmixed +3 .* \$0\.25\* /);
    expect(text).toMatch(/\nTOTAL +6 .* \$0\.75\* /);
    const json = JSON.parse(renderJson(r)) as { rows: { model: string; cost_usd: string | null; unpriced_requests: number }[]; total: { cost_usd: string | null } };
    expect(json.rows.map((x) => [x.model, x.cost_usd])).toEqual([['gpt-5', '0.5'], ['acme-mystery-9', null], ['mixed', '0.25']]);
    expect(json.total.cost_usd).toBe('0.75');
    const csv = renderCsv(r).split('\n');
    expect(csv[2]).toBe('acme-mystery-9,1,0,0,0,0,0,0,0,,,0,1');
    // A window of unpriced requests alone has no known total either.
    expect(JSON.parse(renderJson(report(['model'], [rows[1]!], { ...emptyTotals(), requests: 1, unpricedRequests: 1 }))).total.cost_usd).toBeNull();
  });

  it('writes a group a spreadsheet would run as a formula as text in CSV, and a negative cost as a number', () => {
    const row = (keys: string[], costPicos: bigint) => ({ ...emptyTotals(), keys, requests: 1, costPicos });
    const evil = "@SUM(1+1)*cmd|'/C calc'!A0";
    const csv = renderCsv(report(['tag:workflow'], [row([evil], usd('0.25')), row(['-credit'], usd('-0.5'))], { ...emptyTotals(), requests: 2, costPicos: usd('-0.25') })).split('\n');
    expect(csv[1]).toBe("'@SUM(1+1)*cmd|'/C calc'!A0,1,0,0,0,0,0,0,0,0.25,,0,0");
    expect(csv[2]).toBe("'-credit,1,0,0,0,0,0,0,0,-0.5,,0,0");
  });
});
