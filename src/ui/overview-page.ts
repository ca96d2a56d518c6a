import { countText } from '../core/count-text.js';
import { displayUsd } from '../core/money.js';
import { displayTime, percentOf } from '../alerts/format.js';
import { definitionList, escapeHtml, page, paragraph, table } from '../alerts/html-page.js';
import { changeSection, measureCells, measureHeads } from '../alerts/spend-sections.js';
import { formatScope } from '../policy/scope.js';
import { formatWindow } from '../policy/window.js';
import { type Concentration, cacheReadShare, ratio } from '../reports/report.js';
import { type Overview, SPANS, type Span } from './overview.js';

const SPAN_NAMES: Record<Span, string> = { '24h': 'the last 24 hours', '7d': 'the last 7 days', '30d': 'the last 30 days' };
const DIMENSION_NAMES: Record<string, string> = { team: 'team', model: 'model', user: 'user', 'tag:workflow': 'workflow', client: 'client' };

/**
 * The dashboard's one page: where the money went in a span, what changed against the span
 * before, who spends most, and how each budget is tracking. Every value is escaped; amounts
 * are always shown (only the admin token opens it).
 */
export function renderOverview(o: Overview, timeZone: string): string {
  const t = o.report.total;
  const share = cacheReadShare(t);
  const facts: [string, string][] = [
    ['Window', `${displayTime(o.since, timeZone)} to ${displayTime(o.until, timeZone)}`],
    ['Spend', `${displayUsd(t.costPicos)} (${displayUsd(o.change.fromPicos)} the ${o.span} before)`],
    ['Requests', `${countText(t.requests)}, ${countText(t.errors)} failed`],
    ['Tokens', `${countText(t.inputTokens)} in (${share === null ? 'none' : `${(share * 100).toFixed(1)}%`} read from the prompt cache), ${countText(t.outputTokens)} out`],
  ];
  if (t.unpricedRequests > 0) facts.push(['Unpriced', `${countText(t.unpricedRequests)} requests of models without a known price are not in the spend: add a pricing override (docs/pricing.md)`]);
  const parts = [
    spanLinks(o.span),
    definitionList(facts),
    t.requests === 0 ? paragraph(`No requests in ${SPAN_NAMES[o.span]}: point clients at the gateway (docs/clients.md), or import agent logs with \`tollgate import\` (docs/import.md).`) : '',
    paragraph(`${concentrationText('sessions', o.report.concentration.sessions)} ${concentrationText('workflows', o.report.concentration.workflows)}`),
    changeSection(o.change, true),
    budgetsSection(o, timeZone),
    ...o.breakdowns.map((b) => breakdownSection(b, o)),
    digSection(o.span),
    '<form method="post" action="/ui/logout"><button type="submit">Sign out</button></form>',
  ];
  return page(`Spend in ${SPAN_NAMES[o.span]}`, parts.filter((p) => p !== '').join('\n'), { wide: true });
}

function spanLinks(current: Span): string {
  const links = (Object.keys(SPANS) as Span[]).map((s) => (s === current ? `<strong>${s}</strong>` : `<a href="/ui?span=${s}">${s}</a>`));
  return `<p>${links.join(' · ')}</p>`;
}

function concentrationText(what: string, c: Concentration): string {
  if (c.share === null || c.of === 0) return `No spend by ${what}.`;
  return `The top ${countText(c.top)} of ${countText(c.of)} ${what} took ${(c.share * 100).toFixed(1)}% of their spend.`;
}

function budgetsSection(o: Overview, timeZone: string): string {
  if (o.forecasts === undefined) return '';
  if (o.forecasts.length === 0) return `<h2>Budgets</h2>\n${paragraph('No budgets or pools are set: `tollgate budgets set` (docs/budgets.md).')}`;
  const head = ['budget', 'scope', 'window', 'spent', 'limit', 'used', 'projected', 'runs out'];
  const rows = o.forecasts.map(({ budget: b, forecast: f }) => [
    b.name ?? b.id,
    b.kind === 'pool' ? `pool ${b.id}` : formatScope(b.scope),
    formatWindow(b.window),
    displayUsd(f.spentPicos),
    displayUsd(f.limitPicos),
    `${percentOf(f.spentPicos, f.limitPicos)}%`,
    displayUsd(f.projectedPicos),
    f.status === 'exhausted' ? 'used up' : f.runOutAt === null ? (f.status === 'no_history' ? 'no history yet' : 'not this window') : displayTime(f.runOutAt, timeZone),
  ]);
  return `<h2>Budgets</h2>\n${table(head, rows, { numeric: new Set([3, 4, 5, 6]) })}`;
}

function breakdownSection(b: Overview['breakdowns'][number], o: Overview): string {
  const name = DIMENSION_NAMES[b.dimension] ?? b.dimension;
  const title = `By ${name}`;
  if (b.rows.length === 0) return `<h2>${escapeHtml(title)}</h2>\n${paragraph('No requests.')}`;
  const total = o.report.total.costPicos;
  const head = [name, ...measureHeads(true), 'share of spend'];
  const rows = b.rows.map((r) => [r.keys[0] === '' ? '(none)' : r.keys[0]!, ...measureCells(r, true), total > 0n ? `${(ratio(r.costPicos, total) * 100).toFixed(1)}%` : '-']);
  const more = b.more ? paragraph(`And ${countText(b.more)} more: \`tollgate report --since ${o.span} --by ${b.dimension}\`.`) : '';
  return `<h2>${escapeHtml(title)}</h2>\n${table(head, rows, { numeric: new Set(head.map((_, i) => i).filter((i) => i > 0)) })}${more}`;
}

function digSection(span: Span): string {
  const lines = [`npx tollgate report --since ${span} --by team model`, `npx tollgate explain --from prev-${span} --to last-${span}`, `npx tollgate cache-report --since ${span}`, `npx tollgate detect --since ${span}`];
  return `<h2>Dig further</h2>\n${paragraph('The same figures, and more, from the command line (or the admin API):')}\n<pre>${escapeHtml(lines.join('\n'))}</pre>`;
}
