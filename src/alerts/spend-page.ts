import { countText } from '../core/count-text.js';
import { displayUsd, usdColumn } from '../core/money.js';
import type { ScopeSpend } from '../reports/scope-spend.js';
import { displayTime, percentOf } from './format.js';
import { definitionList, escapeHtml, page, paragraph, table } from './html-page.js';
import { shareOfSpend } from './spend-sections.js';
import type { SpendSpec } from './spend-link.js';

export interface SpendPageOptions {
  /** `policy.show_amounts`: without it, shares of the spend take the dollars' place. */
  showAmounts: boolean;
  timeZone: string;
  /** When the link stops working. */
  expiresAt: number;
}

const TITLES: Record<string, string> = { user: 'By user', model: 'By model', 'tag:workflow': 'By workflow', session: 'By session' };

/**
 * Where a budget's spend went, for the people its alert reached: the budget, then the
 * scope's requests in the window by user, model, workflow and session, most expensive first,
 * read from the ledger. Every value is escaped.
 */
export function renderSpendPage(s: SpendSpec, spend: ScopeSpend, o: SpendPageOptions): string {
  const name = s.budgetName ? `${s.budgetName} (${s.scope} ${s.window})` : `${s.scope} ${s.window}`;
  const pair = usdColumn([s.spentPicos, s.limitPicos]);
  const used = o.showAmounts ? `${pair(s.spentPicos)} of ${pair(s.limitPicos)} (${percentOf(s.spentPicos, s.limitPicos)}%)` : `${percentOf(s.spentPicos, s.limitPicos)}%`;
  const facts: [string, string][] = [
    ['Budget', name],
    ['Used when alerted', used],
    ['Window', windowText(s, o.timeZone)],
    ['Alerted', displayTime(s.at, o.timeZone)],
  ];
  const parts = [
    definitionList(facts),
    paragraph(`The ledger's requests of ${s.scope} from the window's start to the alert: ${spend.total.requests.toLocaleString('en-US')}${o.showAmounts ? `, ${displayUsd(spend.total.costPicos)}` : ''}. (The budget also counts requests still running when it was alerted.)`),
    ...spend.by.map((b) => section(TITLES[b.dimension] ?? b.dimension, b, spend, o.showAmounts)),
    paragraph(`This page's link works until ${displayTime(o.expiresAt, o.timeZone)}; the figures are read from the ledger each time it is opened.`),
  ];
  return page(`Where ${name} went`, parts.join('\n'), { wide: true });
}

/** A rolling window never resets: its spend ages out, all that it counted at the alert by `resetsAt` (as its refusals say). */
function windowText(s: SpendSpec, timeZone: string): string {
  const [start, resets] = [displayTime(s.windowStart, timeZone), displayTime(s.resetsAt, timeZone)];
  return s.window.startsWith('rolling ') ? `${s.window}, counted from ${start}; what it counted when alerted has all aged out by ${resets}` : `${start} to ${resets} (resets then)`;
}

function section(title: string, b: ScopeSpend['by'][number], spend: ScopeSpend, show: boolean): string {
  if (b.rows.length === 0) return `<h2>${escapeHtml(title)}</h2>\n${paragraph('No requests.')}`;
  const head = [title.replace(/^By /, ''), 'requests', 'input', 'cache read', 'output', ...(show ? ['cost'] : []), 'share of spend'];
  const cost = usdColumn(b.rows.map((r) => r.costPicos));
  const rows = b.rows.map((r) => [r.keys[0] === '' ? '(none)' : r.keys[0]!, countText(r.requests), countText(r.inputTokens), countText(r.cacheReadTokens), countText(r.outputTokens), ...(show ? [cost(r.costPicos)] : []), shareOfSpend(r.costPicos, spend.total.costPicos)]);
  const more = b.more ? paragraph(`And ${b.more} more.`) : '';
  return `<h2>${escapeHtml(title)}</h2>\n${table(head, rows, { numeric: new Set(head.map((_, i) => i).filter((i) => i > 0)) })}${more}`;
}
