import { describe, expect, it } from 'vitest';
import { type Picos, usd } from '../core/money.js';
import { emptyTotals } from '../storage/ports.js';
import { renderStatementCsv, renderStatementJson, renderStatementTable } from './render.js';
import type { Statement, StatementLine } from './statement.js';

const line = (key: string, cost: string, models: [string, string][], pools: [string, string][] = []): StatementLine => ({
  ...emptyTotals(),
  key,
  requests: 1,
  costPicos: usd(cost),
  sharePpm: 0,
  topModels: models.map(([model, c]) => ({ model, costPicos: usd(c) })),
  pools: pools.map(([pool, c]) => ({ pool, costPicos: usd(c) })),
});

const statement = (lines: StatementLine[], total: Picos): Statement => ({
  query: { month: '2026-12', timeZone: 'UTC', by: 'team' },
  since: Date.UTC(2026, 11, 1),
  until: Date.UTC(2027, 0, 1),
  lines,
  unattributed: null,
  total: { ...emptyTotals(), requests: lines.length, costPicos: total },
});

describe('the chargeback table', () => {
  it('shows top models and pools to two significant digits of their smallest, as the spend column does its own', () => {
    const s = statement(
      [line('platform', '0.0012', [['gemini-2.5-flash', '0.000148'], ['gpt-4o-mini', '0.000108']], [['org-pool', '0.000256']]), line('web', '0.0034', [['gpt-4o', '0.0034']])],
      usd('0.0046'),
    );
    const table = renderStatementTable(s, Date.UTC(2027, 0, 2));
    expect(table).toMatch(/\nplatform +\$0\.0012 /);
    expect(table).toContain('gemini-2.5-flash $0.00015, gpt-4o-mini $0.00011');
    expect(table).toContain('org-pool $0.00026');
    expect(table).toMatch(/\nweb +\$0\.0034 .* gpt-4o \$0\.00340 +-\n/);
  });

  it('keeps cents when any amount in the column is a dollar or more', () => {
    const table = renderStatementTable(statement([line('platform', '12.5', [['gpt-5', '12.4'], ['gpt-4o-mini', '0.1']])], usd('12.5')), Date.UTC(2027, 0, 2));
    expect(table).toContain('gpt-5 $12.40, gpt-4o-mini $0.10');
  });
});

describe('the chargeback table s rounding', () => {
  it('says when the lines, each rounded on its own, do not add up to the total', () => {
    const s = { ...statement([line('platform', '1.004', []), line('web', '1.004', [])], usd('3.012')), unattributed: line('', '1.004', []) };
    const table = renderStatementTable(s, Date.UTC(2027, 0, 2));
    expect(table).toMatch(/\nTOTAL +\$3\.01 /);
    expect(table).toContain('\nEach amount is rounded to the cent on its own: the lines as shown add up to $3.00, and the total, their exact sum rounded, is $3.01. --format csv or json gives exact amounts.\n');
    expect(renderStatementTable(statement([line('platform', '12.5', [])], usd('12.5')), Date.UTC(2027, 0, 2))).not.toContain('rounded');
  });
});

describe('the chargeback CSV', () => {
  it('writes a line, model or pool a spreadsheet would run as a formula as text, and a negative spend as a number', () => {
    const s = statement([line("@SUM(1+1)*cmd|'/C calc'!A0", '0.25', [['=HYPERLINK("http://x")', '0.25']], [['+pool', '0.1']]), line('web', '-0.5', [])], usd('-0.25'));
    const csv = renderStatementCsv(s).split('\n');
    expect(csv[1]).toBe(`'@SUM(1+1)*cmd|'/C calc'!A0,0.25,0,1,0,0,0,0,0,"'=HYPERLINK(""http://x"")=0.25",'+pool=0.1`);
    expect(csv[2]).toBe('web,-0.5,0,1,0,0,0,0,0,,');
  });
});

describe('the chargeback share column', () => {
  it('adds up to the 100.0% of its total line, the tenths left over going to the largest remainders', () => {
    const s = statement([line('a', '1', []), line('b', '1', []), line('c', '1', [])], usd('3'));
    const table = renderStatementTable(s, Date.UTC(2027, 0, 2));
    expect(table).toMatch(/\na +\$1\.00 +33\.4% /);
    expect(table).toMatch(/\nb +\$1\.00 +33\.3% /);
    expect(table).toMatch(/\nc +\$1\.00 +33\.3% /);
    expect(table).toMatch(/\nTOTAL +\$3\.00 +100\.0% /);
  });

  it('counts the unattributed line among those that add up', () => {
    const s = { ...statement([line('a', '0.6665', [])], usd('1')), unattributed: line('', '0.3335', []) };
    const table = renderStatementTable(s, Date.UTC(2027, 0, 2));
    expect(table).toMatch(/\na +\$0\.67 +66\.7% /);
    expect(table).toMatch(/\n\(unattributed\) +\$0\.33 +33\.3% /);
  });
});

describe('a chargeback line none of whose requests had a price', () => {
  const unpriced: StatementLine = { ...line('research', '0', []), requests: 4, unpricedRequests: 4 };
  const s: Statement = { ...statement([line('platform', '2', [['gpt-5', '2']]), unpriced], usd('2')), total: { ...emptyTotals(), requests: 5, unpricedRequests: 4, costPicos: usd('2') } };
  s.lines[0]!.sharePpm = 1_000_000;

  it('reads unpriced in the share column of the table, not 0.0%', () => {
    const table = renderStatementTable(s, Date.UTC(2027, 0, 2));
    expect(table).toMatch(/\nresearch +unpriced +unpriced +4 /);
    expect(table).toMatch(/\nplatform +\$2\.00 +100\.0% /);
  });

  it('has an empty share in the CSV and a null one in JSON', () => {
    expect(renderStatementCsv(s).split('\n')[2]).toBe('research,,,4,0,0,0,0,4,,');
    const json = JSON.parse(renderStatementJson(s)) as { lines: { team: string; share: number | null }[] };
    expect(json.lines.map((l) => [l.team, l.share])).toEqual([['platform', 1], ['research', null]]);
  });
});
