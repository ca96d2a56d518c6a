import { describe, expect, it } from 'vitest';
import { usd } from '../core/money.js';
import { renderOutcomeCsv, renderOutcomeJson, renderOutcomeTable } from './render.js';
import type { OutcomeReport, OutcomeReportRow } from './report.js';

const PICOS = 1_000_000_000_000n;

function row(key: string, o: Partial<OutcomeReportRow>): OutcomeReportRow {
  return { key, requests: 0, unpricedRequests: 0, spendPicos: 0n, outcomeMicros: 0n, costPerOutcomePicos: null, sessionRequests: 0, sessionUnpricedRequests: 0, sessionSpendPicos: 0n, sessionOutcomeMicros: 0n, sessionCostPerOutcomePicos: null, ...o };
}

// gw-sess-1: three requests, one of them unpriced, $0.009 for the other two; otel-sess-2: one request, unpriced.
const partly = row('gw-sess-1', { requests: 3, unpricedRequests: 1, spendPicos: 9n * PICOS / 1000n, outcomeMicros: 1_000_000n, costPerOutcomePicos: 9n * PICOS / 1000n, sessionRequests: 3, sessionUnpricedRequests: 1, sessionSpendPicos: 9n * PICOS / 1000n, sessionOutcomeMicros: 1_000_000n, sessionCostPerOutcomePicos: 9n * PICOS / 1000n });
const unknown = row('otel-sess-2', { requests: 1, unpricedRequests: 1, outcomeMicros: 1_000_000n, sessionRequests: 1, sessionUnpricedRequests: 1, sessionOutcomeMicros: 1_000_000n });
const priced = row('p-sess', { requests: 2, spendPicos: 4n * PICOS / 1000n });
const total = row('', { requests: 6, unpricedRequests: 2, spendPicos: 13n * PICOS / 1000n, outcomeMicros: 2_000_000n, costPerOutcomePicos: 65n * PICOS / 10_000n, sessionRequests: 4, sessionUnpricedRequests: 2, sessionSpendPicos: 9n * PICOS / 1000n, sessionOutcomeMicros: 2_000_000n, sessionCostPerOutcomePicos: 45n * PICOS / 10_000n });
const report: OutcomeReport = { query: { by: 'session' }, rows: [partly, priced, unknown], total };

describe('the outcome report with unpriced requests', () => {
  it('reads "unpriced" for a group none of whose requests had a price, stars one partly priced, and says why beneath', () => {
    const lines = renderOutcomeTable(report).split('\n');
    expect(lines.find((l) => l.startsWith('otel-sess-2'))).toMatch(/^otel-sess-2 +1 +unpriced +1 +unpriced +unpriced +unpriced$/);
    expect(lines.find((l) => l.startsWith('gw-sess-1'))).toMatch(/^gw-sess-1 +3 +\$0\.0090\* +1 +\$0\.0090\* +\$0\.0090\* +\$0\.0090\*$/);
    // Priced, without outcomes: no star, and no cost per outcome.
    expect(lines.find((l) => l.startsWith('p-sess'))).toMatch(/^p-sess +2 +\$0\.0040 +0 +- +\$0\.0000 +-$/);
    expect(lines.find((l) => l.startsWith('TOTAL'))).toMatch(/^TOTAL +6 +\$0\.0130\* +2 +\$0\.0065\* +\$0\.0090\* +\$0\.0045\*$/);
    expect(lines.find((l) => l.startsWith('* '))).toBe('* 2 request(s) used a model with no known price; their cost is not included, nor in the cost per outcome divided from it (a group none of whose requests had a price reads "unpriced", not $0). Add a pricing override (pricing.overrides in the config); see docs/pricing.md.');
    expect(renderOutcomeTable({ ...report, rows: [priced], total: priced })).not.toContain('* ');
  });

  it('gives a spend and cost per outcome of no known price as null in JSON, with the unpriced counts', () => {
    const json = JSON.parse(renderOutcomeJson(report)) as { rows: Record<string, unknown>[]; total: Record<string, unknown> };
    expect(json.rows[2]).toEqual({ session: 'otel-sess-2', requests: 1, spend_usd: null, outcomes: 1, cost_per_outcome_usd: null, session_spend_usd: null, session_outcomes: 1, session_cost_per_outcome_usd: null, unpriced_requests: 1, session_unpriced_requests: 1 });
    expect(json.rows[0]).toMatchObject({ spend_usd: '0.009', cost_per_outcome_usd: '0.009', unpriced_requests: 1, session_unpriced_requests: 1 });
    expect(json.total).toMatchObject({ spend_usd: '0.013', unpriced_requests: 2, session_unpriced_requests: 2 });
  });

  it('leaves such a spend empty in CSV, the unpriced counts last', () => {
    const csv = renderOutcomeCsv(report).split('\n');
    expect(csv[0]).toBe('session,requests,spend_usd,outcomes,cost_per_outcome_usd,session_spend_usd,session_outcomes,session_cost_per_outcome_usd,unpriced_requests,session_unpriced_requests');
    expect(csv).toContain('otel-sess-2,1,,1,,,1,,1,1');
    expect(csv).toContain('gw-sess-1,3,0.009,1,0.009,0.009,1,0.009,1,1');
  });
});

describe('the outcome report s rounding', () => {
  it('says when the spend of the groups, each rounded on its own, does not add up to the total', () => {
    const spent = (key: string, spend: string) => row(key, { requests: 1, spendPicos: usd(spend) });
    const table = renderOutcomeTable({ query: { by: 'user' }, rows: [spent('a', '1.004'), spent('b', '1.004'), spent('c', '1.004')], total: spent('', '3.012') });
    expect(table).toContain('\nEach amount is rounded to the cent on its own: the lines as shown add up to $3.00, and the total, their exact sum rounded, is $3.01. --format csv or json gives exact amounts.');
    expect(renderOutcomeTable(report)).not.toContain('rounded');
  });
});

describe('the outcome report CSV', () => {
  it('writes a group a spreadsheet would run as a formula as text, and a negative spend as a number', () => {
    const r = (key: string, spend: string) => row(key, { requests: 1, spendPicos: usd(spend), outcomeMicros: 1_000_000n, costPerOutcomePicos: usd(spend) });
    const csv = renderOutcomeCsv({ query: { by: 'model' }, rows: [r('=HYPERLINK("http://x")', '0.25'), r('gpt-5', '-0.5')], total: r('', '-0.25') }).split('\n');
    expect(csv[0]).toBe('model,requests,spend_usd,outcomes,cost_per_outcome_usd,session_spend_usd,session_outcomes,session_cost_per_outcome_usd,unpriced_requests,session_unpriced_requests');
    expect(csv[1]).toBe(`"'=HYPERLINK(""http://x"")",1,0.25,1,0.25,0,0,,0,0`);
    expect(csv[2]).toBe('gpt-5,1,-0.5,1,-0.5,0,0,,0,0');
  });
});
