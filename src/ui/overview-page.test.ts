import { describe, expect, it } from 'vitest';
import type { BudgetForecast } from '../forecast/budgets.js';
import type { Forecast } from '../forecast/project.js';
import { parseScope } from '../policy/scope.js';
import type { Budget } from '../policy/rules.js';
import { type AggregateRow, emptyTotals } from '../storage/ports.js';
import type { Overview } from './overview.js';
import { renderOverview } from './overview-page.js';
import { rowsOf } from '../alerts/testing/page-rows.js';

const NOW = Date.UTC(2026, 11, 5, 12);
const DAY = 86_400_000;
const USD = 1_000_000_000_000n;

function row(key: string, costUsd: bigint, requests: number): AggregateRow {
  return { ...emptyTotals(), keys: [key], requests, inputTokens: 1000 * requests, cacheReadTokens: 250 * requests, outputTokens: 10 * requests, costPicos: costUsd * USD };
}

function forecast(spent: bigint, limit: bigint, status: Forecast['status'], runOutAt: number | null): Forecast {
  return { method: 'flat', historyDays: 7, dailyRatePicos: USD, windowStart: NOW - DAY, windowEnd: NOW + DAY, spentPicos: spent * USD, limitPicos: limit * USD, projectedPicos: (spent + 1n) * USD, runOutAt, status };
}

function budget(id: string, scope: string, name: string | null = null): Budget {
  return { kind: 'budget', id, name, scope: parseScope(scope), window: { kind: 'calendar', unit: 'month' }, limitPicos: 100n * USD, mode: 'hard', pool: null, source: 'config', createdAt: 0 } as unknown as Budget;
}

function overview(o: Partial<Overview> = {}): Overview {
  const teams = [row('<script>alert(1)</script>', 30n, 3), row('', 10n, 1)];
  const total = { ...emptyTotals(), requests: 4, inputTokens: 4000, cacheReadTokens: 1000, outputTokens: 40, costPicos: 40n * USD, unpricedRequests: 2, errors: 1 };
  return {
    span: '7d',
    since: NOW - 7 * DAY,
    until: NOW,
    only: undefined,
    total,
    concentration: { sessions: { top: 1, of: 10, share: 0.75 }, workflows: { top: 0, of: 0, share: null } },
    breakdowns: [
      { dimension: 'team', rows: teams, more: 0 },
      { dimension: 'model', rows: [row('gpt-5', 40n, 4)], more: 16 },
    ],
    change: { from: { since: NOW - 14 * DAY, until: NOW - 7 * DAY, label: 'prev-7d' }, to: { since: NOW - 7 * DAY, until: NOW, label: 'last-7d' }, only: undefined, fromPicos: 20n * USD, toPicos: 40n * USD, drivers: [{ id: 'requests', label: 'more requests', deltaPicos: 20n * USD, detail: 'requests 2 → 4' }], roundingPicos: 0n, roundedInto: undefined, fromRequests: { requests: 2, unpricedRequests: 0 }, toRequests: { requests: 4, unpricedRequests: 2 }, summary: 'Spend rose from $20.00 to $40.00 & doubled.', releases: [] },
    forecasts: undefined,
    ...o,
  };
}

describe('the dashboard page', () => {
  it('shows the window, its spend against the one before, and what changed, every value escaped', () => {
    const html = renderOverview(overview(), 'UTC');
    expect(html).toContain('<title>Spend in the last 7 days · Tollgate</title>');
    // Two of its four requests had no price: the spend leaves them out, starred as a report marks it.
    expect(html).toContain('<dd>$40.00* ($20.00 in the 7 days before)</dd>');
    expect(html).toContain('<dd>4, 1 failed</dd>');
    expect(html).toContain('4,000 in (25.0% read from the prompt cache), 40 out');
    expect(html).toContain('2 requests of models without a known price are not in the spend');
    const one = renderOverview(overview({ total: { ...overview().total, unpricedRequests: 1 } }), 'UTC');
    expect(one).toContain('1 request of a model without a known price is not in the spend');
    expect(html).toContain('The top 1 of 10 sessions took 75.0% of their spend. No spend by workflows.');
    expect(html).toContain('<p>Spend rose from $20.00 to $40.00 &#38; doubled.</p>');
    expect(rowsOf(html, 'What changed')[1]).toEqual(['more requests', '+$20.00', 'requests 2 → 4']);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
  });

  it('shows the drivers’ changes on the scale of the sentence above them when spend is under a dollar', () => {
    const drivers = [{ id: 'new_subjects' as const, label: 'new users, workflows or clients', deltaPicos: 12_000_000_000n, detail: '3 requests' }];
    const change = { ...overview().change, fromPicos: 0n, toPicos: 12_000_000_000n, drivers };
    const html = renderOverview(overview({ change }), 'UTC');
    expect(rowsOf(html, 'What changed')[1]).toEqual(['new users, workflows or clients', '+$0.012', '3 requests']);
  });

  it('shows the spend as unpriced, not $0.00, when no request in view had a price', () => {
    const total = { ...emptyTotals(), requests: 1, unpricedRequests: 1, inputTokens: 1000, outputTokens: 10 };
    const change = { ...overview().change, fromPicos: 0n, toPicos: 0n, drivers: [], fromRequests: { requests: 2, unpricedRequests: 2 }, toRequests: { requests: 1, unpricedRequests: 1 } };
    const html = renderOverview(overview({ total, change }), 'UTC');
    expect(html).toContain('<dd>unpriced (unpriced in the 7 days before)</dd>');
    expect(html).not.toContain('$0.00');
    // No requests before: that window spent nothing, which is known.
    const fresh = renderOverview(overview({ total, change: { ...change, fromRequests: { requests: 0, unpricedRequests: 0 } } }), 'UTC');
    expect(fresh).toContain('<dd>unpriced ($0.00 in the 7 days before)</dd>');
  });

  it('wraps a very long name in the heading and sentences instead of widening the page past its tables', () => {
    const html = renderOverview({ ...overview(), only: { field: 'team', value: 'x'.repeat(300) } }, 'UTC');
    expect(html).toContain(`<h1>Spend of team ${'x'.repeat(300)} in the last 7 days</h1>`);
    // Names run without spaces (imported team or project ids): only overflow-wrap breaks them.
    expect(html).toMatch(/h1,p\{overflow-wrap:anywhere\}/);
  });
  it('says where requests come from when the window has none', () => {
    const empty = overview();
    empty.total = emptyTotals();
    expect(renderOverview(empty, 'UTC')).toContain('No requests in the last 7 days: point clients at the gateway (docs/clients.md)');
    expect(renderOverview(overview(), 'UTC')).not.toContain('No requests in');
  });

  it('breaks spend down with shares, names groups without a value, and counts what it leaves out', () => {
    const html = renderOverview(overview(), 'UTC');
    const teams = rowsOf(html, 'By team');
    expect(teams[0]).toEqual(['team', 'requests', 'input', 'cache read', 'cache write', 'output', 'cost', 'cache-read %', 'errors', 'share of spend']);
    expect(teams[1]![9]).toBe('75.0%');
    expect(teams[2]![0]).toBe('(none)');
    expect(teams[2]![6]).toBe('$10.00');
    expect(html).toContain('And 16 more: `tollgate report --since 7d --by model`.');
    // Narrowed, the command groups by the narrowing too (the report has no filter).
    expect(renderOverview({ ...overview(), only: { field: 'workflow', value: 'review' } }, 'UTC')).toContain('And 16 more: `tollgate report --since 7d --by tag:workflow model`, the rows of workflow review.');
    expect(html).toContain('<strong>7d</strong>');
    expect(html).toContain('<a href="/ui?span=30d">30d</a>');
    expect(teams[1]![0]).toBe('<a href="/ui?span=7d&#38;team=%3Cscript%3Ealert%281%29%3C%2Fscript%3E">&#60;script&#62;alert(1)&#60;/script&#62;</a>');
    expect(html).not.toContain('everyone</a>');
  });

  it('does not link a group whose name is white space alone, which no narrowing takes', () => {
    const html = renderOverview(overview({ breakdowns: [{ dimension: 'team', rows: [row(' ', 5n, 1), row('web', 5n, 1)], more: 0 }] }), 'UTC');
    expect(rowsOf(html, 'By team').slice(1).map((c) => c[0])).toEqual([' ', '<a href="/ui?span=7d&#38;team=web">web</a>']);
  });

  it('narrowed to one group: says whose spend it is, keeps the narrowing across spans, and links back to everyone', () => {
    const only = { field: 'team' as const, value: 'a&b "c"' };
    const html = renderOverview(overview({ only, concentration: undefined, breakdowns: [{ dimension: 'user', rows: [row('alice', 5n, 1)], more: 0 }] }), 'UTC');
    expect(html).toContain('<title>Spend of team a&#38;b &#34;c&#34; in the last 7 days · Tollgate</title>');
    expect(html).toContain('<a href="/ui?span=24h&#38;team=a%26b+%22c%22">24h</a>');
    expect(html).toContain('<a href="/ui?span=7d">everyone</a>');
    expect(html).not.toContain('of their spend');
    expect(rowsOf(html, 'By user')[1]![0]).toBe('<a href="/ui?span=7d&#38;user=alice">alice</a>');
    expect(html).toContain('explain --from prev-7d --to last-7d --team &#39;a&#38;b &#34;c&#34;&#39;');
  });

  it('lists each budget with what it spent, its projection and when it runs out, when spend controls are on', () => {
    expect(renderOverview(overview(), 'UTC')).not.toContain('<h2>Budgets</h2>');
    expect(renderOverview(overview({ forecasts: [] }), 'UTC')).toContain('No budgets or pools are set');
    const forecasts: BudgetForecast[] = [
      { budget: budget('b1', 'team:platform', 'Platform'), forecast: forecast(90n, 100n, 'will_run_out', NOW + 3_600_000) },
      { budget: budget('b2', 'user:alice'), forecast: forecast(100n, 100n, 'exhausted', NOW) },
      { budget: budget('b3', 'user:bob'), forecast: forecast(0n, 100n, 'no_history', null) },
    ];
    const rows = rowsOf(renderOverview(overview({ forecasts }), 'Europe/Berlin'), 'Budgets');
    expect(rows[1]).toEqual(['Platform', 'team:platform', 'month', '$90.00', '$100.00', '90%', '$91.00', '2026-12-05 14:00 Europe/Berlin']);
    expect(rows[2]![7]).toBe('used up');
    expect(rows[3]![7]).toBe('no history yet');
    const tiny: Forecast = { ...forecast(0n, 425n, 'on_track', null), spentPicos: 325_000_000n, projectedPicos: 20_000_000_000n };
    const scaled = rowsOf(renderOverview(overview({ forecasts: [{ budget: budget('b4', 'team:web'), forecast: tiny }] }), 'UTC'), 'Budgets');
    expect(scaled[1]!.slice(3, 7)).toEqual(['&#60;$0.01', '$425.00', '0%', '$0.02']);
  });

  it('says a rolling budget whose steady spend passes its limit runs out at this rate, not that it lasts the window', () => {
    // A rolling window has no end: the forecast says will_run_out and gives no date.
    const rolling = { ...budget('b5', 'team:web'), window: { kind: 'rolling', ms: 86_400_000 } } as unknown as Budget;
    const over = rowsOf(renderOverview(overview({ forecasts: [{ budget: rolling, forecast: forecast(1n, 5n, 'will_run_out', null) }] }), 'UTC'), 'Budgets');
    expect(over[1]![7]).toBe('at this rate');
    const under = rowsOf(renderOverview(overview({ forecasts: [{ budget: rolling, forecast: forecast(1n, 5n, 'on_track', null) }] }), 'UTC'), 'Budgets');
    expect(under[1]![7]).toBe('not this window');
  });
});
