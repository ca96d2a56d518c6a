import { countText } from '../core/count-text.js';
import { type Picos, displayUsd } from '../core/money.js';
import { type Explanation, explanationUsd } from '../explain/explain.js';
import { cacheReadShare, costCell, ratio } from '../reports/report.js';
import type { Totals } from '../storage/ports.js';
import { paragraph, table } from './html-page.js';

// Sections the pages share (an anomaly's evidence, the dashboard): spend explained, and measures as table cells.

/** A fraction as a percentage to one decimal; '-' when there is none. */
export function percentText(fraction: number | null): string {
  return fraction === null ? '-' : `${(fraction * 100).toFixed(1)}%`;
}

/** A group's share of a total spend; '-' when nothing was spent. */
export function shareOfSpend(part: bigint, whole: bigint): string {
  return percentText(whole > 0n ? ratio(part, whole) : null);
}

/** The measures' column names, in the order of `measureCells`. */
export function measureHeads(showAmounts: boolean): string[] {
  return ['requests', 'input', 'cache read', 'cache write', 'output', ...(showAmounts ? ['cost'] : []), 'cache-read %', 'errors'];
}

/** A group's measures as cells; an asterisk marks a cost that leaves unpriced requests out, "unpriced" one none of whose requests had a price. `usd` formats the cost column (usdColumn of its amounts). */
export function measureCells(x: Totals, showAmounts: boolean, usd: (p: Picos) => string = displayUsd): string[] {
  return [countText(x.requests), countText(x.inputTokens), countText(x.cacheReadTokens), countText(x.cacheWriteTokens), countText(x.outputTokens), ...(showAmounts ? [costCell(x, usd)] : []), percentText(cacheReadShare(x)), countText(x.errors)];
}

/** `explain`'s paragraph and its moving drivers, on the paragraph's scale; `money` strips amounts from text when they are hidden. */
export function changeSection(e: Explanation, showAmounts: boolean, money: (text: string) => string = (t) => t): string {
  const moving = e.drivers.filter((d) => d.deltaPicos !== 0n);
  const { signed } = explanationUsd(e);
  const head = ['driver', ...(showAmounts ? ['change'] : []), 'detail'];
  const rows = moving.map((d) => [d.label, ...(showAmounts ? [signed(d.deltaPicos)] : []), money(d.detail)]);
  return `<h2>What changed</h2>\n${paragraph(money(e.summary))}${rows.length ? `\n${table(head, rows, { numeric: new Set(showAmounts ? [1] : []) })}` : ''}`;
}
