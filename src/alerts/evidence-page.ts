import { shellWord } from '../core/shell-word.js';
import { countText } from '../core/count-text.js';
import type { EvidenceView } from '../anomalies/evidence-view.js';
import type { LedgerRow } from '../core/ledger-row.js';
import { type Picos, displayUsd, usdColumn } from '../core/money.js';
import type { Totals } from '../storage/ports.js';
import { displayTime, withoutAmounts } from './format.js';
import { definitionList, escapeHtml, page, paragraph, table } from './html-page.js';
import { changeSection, measureCells, measureHeads } from './spend-sections.js';

const HOUR_MS = 3_600_000;

export interface EvidencePageOptions {
  /** `policy.show_amounts`: without it, no dollar figure appears (as in the alert). */
  showAmounts: boolean;
  timeZone: string;
  /** When the link stops working. */
  expiresAt: number;
}

/**
 * An anomaly's evidence for the people its alert reached: what was found, how the subject's
 * spend changed against the day before and why, the traffic behind it, the example requests'
 * rows, and the commands that dig further. Every value is escaped.
 */
export function renderEvidencePage(v: EvidenceView, o: EvidencePageOptions): string {
  const s = v.spec;
  const money = (text: string) => (o.showAmounts ? text : withoutAmounts(text));
  const title = `${s.severity === 'critical' ? 'Critical' : 'Warning'}: ${s.detector.replace(/_/g, ' ')} on ${s.subject}`;
  const facts: [string, string][] = [
    ['What', money(s.message)],
    ['Window', `${displayTime(s.windowStart, o.timeZone)} to ${displayTime(s.windowEnd, o.timeZone)}`],
    ['Detected', `${displayTime(s.detectedAt, o.timeZone)}${s.foundLate ? ' (found late, in rows written after the window was evaluated)' : ''}`],
  ];
  if (o.showAmounts) facts.push(['Over the expected', displayUsd(s.excessPicos)]);
  const parts = [
    definitionList(facts),
    v.change ? changeSection(v.change, o.showAmounts, money) : '',
    trafficSection(v, o),
    requestsSection(v, o),
    sessionsSection(v),
    digSection(v),
    paragraph(`This page's link works until ${displayTime(o.expiresAt, o.timeZone)}; the figures are read from the ledger each time it is opened.`),
  ];
  return page(title, parts.filter((x) => x !== '').join('\n'), { wide: true });
}

function trafficSection(v: EvidenceView, o: EvidencePageOptions): string {
  const t = v.traffic;
  const s = v.spec;
  const names = t.by.map((d) => (d.startsWith('tag:') ? d.slice(4) : d));
  // Hours and days are the ledger's, in UTC, whatever the page's time zone.
  const head = [...names.map((n) => (n === 'hour' || n === 'day' ? `${n} (UTC)` : n)), ...measureHeads(o.showAmounts)];
  const usd = usdColumn([t.total.costPicos, ...t.rows.map((r) => r.costPicos)]);
  const line = (keys: string[], x: Totals) => [...keys, ...measureCells(x, o.showAmounts, usd)];
  const rows = t.rows.map((r) => line(r.keys.map((k) => (k === '' ? '(none)' : k)), r));
  if (rows.length) rows.push(line(names.map((_, i) => (i === 0 ? 'total' : '')), t.total));
  const numeric = new Set(head.map((_, i) => i).filter((i) => i >= names.length));
  const what = `By ${names.join(' and ')}, ${displayTime(s.report.since, o.timeZone)} to ${displayTime(s.report.until, o.timeZone)}${t.subjectOnly ? `, ${s.subject} alone` : ''}.`;
  const more = t.more ? paragraph(`And ${t.more} more row${t.more === 1 ? '' : 's'}: the whole report is one command away (below).`) : '';
  const body = rows.length ? table(head, rows, { numeric, total: true }) : paragraph('No requests in this window.');
  return `<h2>Traffic</h2>\n${paragraph(what)}\n${body}${more}`;
}

function requestsSection(v: EvidenceView, o: EvidencePageOptions): string {
  if (v.spec.requestIds.length === 0) return '';
  const head = ['time', 'request', 'user', 'session', 'model', 'status', 'outcome', 'input', 'cache read', 'output', 'tool calls', ...(o.showAmounts ? ['cost'] : [])];
  const usd = usdColumn(v.requests.flatMap((r) => (r.costPicos === null ? [] : [r.costPicos])));
  const rows = v.requests.map((r) => requestCells(r, o, usd));
  const numeric = new Set([7, 8, 9, 10, 11]);
  const missing = v.missing.length ? paragraph(`Not in this ledger (yet): ${v.missing.join(', ')}.`) : '';
  return `<h2>Example requests</h2>\n${rows.length ? table(head, rows, { numeric }) : ''}${missing}`;
}

function requestCells(r: LedgerRow, o: EvidencePageOptions, usd: (p: Picos) => string): string[] {
  const cost = r.costPicos === null ? 'unpriced' : usd(r.costPicos);
  return [displayTime(r.ts, o.timeZone), r.id, r.user ?? '', r.sessionId ?? '', r.model, String(r.status), r.outcome, countText(r.inputTokens), countText(r.cacheReadTokens), countText(r.outputTokens), countText(r.toolCalls), ...(o.showAmounts ? [cost] : [])];
}

function sessionsSection(v: EvidenceView): string {
  const ids = v.spec.sessionIds;
  return ids.length ? `<h2>Sessions</h2>\n<ul>${ids.map((id) => `<li>${escapeHtml(id)}</li>`).join('')}</ul>` : '';
}

/** The same evidence from the CLI (and the admin API), to go further than the page. */
function digSection(v: EvidenceView): string {
  const s = v.spec;
  const iso = (ms: number) => new Date(ms).toISOString();
  const lines = [`npx tollgate report --since ${iso(s.report.since)} --until ${iso(s.report.until)} --by ${s.report.by.map(shellWord).join(' ')}`];
  // Narrowed to the subject, as the page's own paragraph is.
  const only = v.change?.only ? ` --${v.change.only.field} ${shellWord(v.change.only.value)}` : '';
  if (v.change) lines.push(`npx tollgate explain --from ${iso(v.change.from.since)}..${iso(v.change.from.until)} --to ${iso(v.change.to.since)}..${iso(v.change.to.until)}${only}`);
  // What the alert cannot say: which block of the prompts changed (cache-report compares consecutive calls, the hour before with the broken ones).
  if (s.detector === 'cache_regression') lines.push(`npx tollgate cache-report --since ${iso(s.windowStart - HOUR_MS)} --until ${iso(s.windowEnd)} --by workflow`);
  // The replay's steps need not fall where the live pass did: an hour each side holds the evaluation that found it.
  lines.push(`npx tollgate detect --since ${iso(s.windowStart - HOUR_MS)} --until ${iso(s.windowEnd + HOUR_MS)} --detector ${s.detector}`);
  return `<h2>Dig further</h2>\n<pre>${escapeHtml(lines.join('\n'))}</pre>`;
}

/** A dimension as one shell word (tag names are letters, digits, `_.-`, so quoting is never needed; kept safe all the same). */

