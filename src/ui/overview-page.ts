import { shellWord } from '../core/shell-word.js';
import { countText } from '../core/count-text.js';
import { usdColumn } from '../core/money.js';
import { displayTime, percentOf } from '../alerts/format.js';
import { definitionList, escapeHtml, page, paragraph, table } from '../alerts/html-page.js';
import { changeSection, measureCells, measureHeads, percentText, shareOfSpend } from '../alerts/spend-sections.js';
import type { Forecast } from '../forecast/project.js';
import { formatScope } from '../policy/scope.js';
import { formatWindow } from '../policy/window.js';
import type { GroupFilter } from '../explain/explain.js';
import { type Concentration, cacheReadShare, costCell } from '../reports/report.js';
import { FILTER_DIMENSION, type Overview, SPANS, type Span } from './overview.js';

const SPAN_NAMES: Record<Span, string> = { '24h': 'the last 24 hours', '7d': 'the last 7 days', '30d': 'the last 30 days' };
const BEFORE: Record<Span, string> = { '24h': 'the 24 hours before', '7d': 'the 7 days before', '30d': 'the 30 days before' };
const DIMENSION_NAMES: Record<string, string> = { team: 'team', model: 'model', user: 'user', 'tag:workflow': 'workflow', client: 'client', 'tag:client_version': 'version' };
/** The narrowing a breakdown's group links to. */
const FIELD_OF = Object.fromEntries(Object.entries(FILTER_DIMENSION).map(([field, dim]) => [dim, field])) as Record<string, GroupFilter['field']>;

/**
 * The dashboard's one page: where the money went in a span, what changed against the span
 * before, who spends most, and how each budget is tracking. Every value is escaped; amounts
 * are always shown (only the admin token opens it).
 */
export function renderOverview(o: Overview, timeZone: string): string {
  const t = o.total;
  const share = cacheReadShare(t);
  const cached = share === null ? 'none' : percentText(share);
  const headline = usdColumn([t.costPicos, o.change.fromPicos]);
  const facts: [string, string][] = [
    ['Window', `${displayTime(o.since, timeZone)} to ${displayTime(o.until, timeZone)}`],
    // As a report's cost: "unpriced" when no request in view had a price (not $0.00), starred when some had none.
    ['Spend', `${costCell(t, headline)} (${costCell({ ...o.change.fromRequests, costPicos: o.change.fromPicos }, headline)} in ${BEFORE[o.span]})`],
    ['Requests', `${countText(t.requests)}, ${countText(t.errors)} failed`],
    ['Tokens', `${countText(t.inputTokens)} in (${cached} read from the prompt cache), ${countText(t.outputTokens)} out`],
  ];
  if (t.unpricedRequests > 0) facts.push(['Unpriced', `${countText(t.unpricedRequests)} ${t.unpricedRequests === 1 ? 'request of a model' : 'requests of models'} without a known price ${t.unpricedRequests === 1 ? 'is' : 'are'} not in the spend: add a pricing override (docs/pricing.md)`]);
  const parts = [
    spanLinks(o),
    definitionList(facts),
    t.requests === 0 ? paragraph(o.only ? `No requests of ${o.only.field} ${o.only.value} in ${SPAN_NAMES[o.span]}.` : `No requests in ${SPAN_NAMES[o.span]}: point clients at the gateway (docs/clients.md), or import agent logs with \`tollgate import\` (docs/import.md).`) : '',
    o.concentration ? paragraph(`${concentrationText('sessions', o.concentration.sessions)} ${concentrationText('workflows', o.concentration.workflows)}`) : '',
    changeSection(o.change, true),
    budgetsSection(o, timeZone),
    ...o.breakdowns.map((b) => breakdownSection(b, o)),
    digSection(o),
    '<form method="post" action="/ui/logout"><button type="submit">Sign out</button></form>',
  ];
  const whose = o.only ? ` of ${o.only.field} ${o.only.value}` : '';
  return page(`Spend${whose} in ${SPAN_NAMES[o.span]}`, parts.filter((p) => p !== '').join('\n'), { wide: true });
}

/** This view's address for another span or narrowing, escaped for an attribute. */
function href(span: Span, only: GroupFilter | undefined): string {
  const q = new URLSearchParams({ span });
  if (only) q.set(only.field, only.value);
  return escapeHtml(`/ui?${q.toString()}`);
}

function spanLinks(o: Overview): string {
  const links = (Object.keys(SPANS) as Span[]).map((s) => (s === o.span ? `<strong>${s}</strong>` : `<a href="${href(s, o.only)}">${s}</a>`));
  const back = o.only ? ` · <a href="${href(o.span, undefined)}">everyone</a>` : '';
  return `<p>${links.join(' · ')}${back}</p>`;
}

function concentrationText(what: string, c: Concentration): string {
  if (c.share === null || c.of === 0) return `No spend by ${what}.`;
  return `The top ${countText(c.top)} of ${countText(c.of)} ${what} took ${percentText(c.share)} of their spend.`;
}

function budgetsSection(o: Overview, timeZone: string): string {
  if (o.forecasts === undefined) return '';
  if (o.forecasts.length === 0 && o.only) return '';
  if (o.forecasts.length === 0) return `<h2>Budgets</h2>\n${paragraph('No budgets or pools are set: `tollgate budgets set` (docs/budgets.md).')}`;
  const head = ['budget', 'scope', 'window', 'spent', 'limit', 'used', 'projected', 'runs out'];
  // One scale for the three money columns: "$0.02" spent of a "$0.02" limit read as used up at 77%.
  const usd = usdColumn(o.forecasts.flatMap(({ forecast: f }) => [f.spentPicos, f.limitPicos, f.projectedPicos]));
  const rows = o.forecasts.map(({ budget: b, forecast: f }) => [
    b.name ?? b.id,
    b.kind === 'pool' ? `pool ${b.id}` : formatScope(b.scope),
    formatWindow(b.window),
    usd(f.spentPicos),
    usd(f.limitPicos),
    `${percentOf(f.spentPicos, f.limitPicos)}%`,
    usd(f.projectedPicos),
    runsOut(f, timeZone),
  ]);
  return `<h2>Budgets</h2>\n${table(head, rows, { numeric: new Set([3, 4, 5, 6]) })}`;
}

/**
 * A rolling window has no end to run out before: one whose steady spend passes its limit is
 * `will_run_out` with no date, which `tollgate forecast` calls "runs out" and `status` "at this rate".
 */
function runsOut(f: Forecast, timeZone: string): string {
  if (f.status === 'exhausted') return 'used up';
  if (f.runOutAt !== null) return displayTime(f.runOutAt, timeZone);
  if (f.status === 'will_run_out') return 'at this rate';
  return f.status === 'no_history' ? 'no history yet' : 'not this window';
}

function breakdownSection(b: Overview['breakdowns'][number], o: Overview): string {
  const name = DIMENSION_NAMES[b.dimension] ?? b.dimension;
  const title = `By ${name}`;
  if (b.rows.length === 0) return `<h2>${escapeHtml(title)}</h2>\n${paragraph('No requests.')}`;
  const total = o.total.costPicos;
  const head = [name, ...measureHeads(true), 'share of spend'];
  const field = FIELD_OF[b.dimension];
  // A group with a value links to the view narrowed to it; one of white space alone is no narrowing (400 "needs a value").
  const label = (key: string) => (key.trim() === '' || field === undefined ? escapeHtml(key === '' ? '(none)' : key) : `<a href="${href(o.span, { field, value: key })}">${escapeHtml(key)}</a>`);
  const usd = usdColumn(b.rows.map((r) => r.costPicos));
  const rows = b.rows.map((r) => [label(r.keys[0]!), ...measureCells(r, true, usd), shareOfSpend(r.costPicos, total)]);
  // A narrowed view's rows are its group's: the report groups by that too (it has no filter), so the rows can be read off.
  const by = o.only ? `${FILTER_DIMENSION[o.only.field]} ${b.dimension}` : b.dimension;
  const more = b.more ? paragraph(`And ${countText(b.more)} more: \`tollgate report --since ${o.span} --by ${by}\`${o.only ? `, the rows of ${o.only.field} ${o.only.value}` : ''}.`) : '';
  return `<h2>${escapeHtml(title)}</h2>\n${table(head, rows, { numeric: new Set(head.map((_, i) => i).filter((i) => i > 0)), html: new Set([0]) })}${more}`;
}

function digSection(o: Overview): string {
  const span = o.span;
  const narrow = o.only ? ` --${o.only.field} ${shellWord(o.only.value)}` : '';
  const lines = [`npx tollgate report --since ${span} --by team model`, `npx tollgate explain --from prev-${span} --to last-${span}${narrow}`, `npx tollgate cache-report --since ${span}`, `npx tollgate detect --since ${span}`];
  return `<h2>Dig further</h2>\n${paragraph('The same figures, and more, from the command line (or the admin API):')}\n<pre>${escapeHtml(lines.join('\n'))}</pre>`;
}
