/** The pages behind signed approve/deny links: the request, and the form that decides it. */
import type { Increase } from '../policy/rules.js';
import { formatScope } from '../policy/scope.js';
import { displayUsd } from '../core/money.js';
import { displayTime } from './format.js';
import { definitionList, escapeHtml } from './html-page.js';
import type { DecisionAction } from './signed-link.js';

/** What was asked, by whom, and where it stands. */
export function increaseDetails(i: Increase, timeZone: string, showAmounts = true): string {
  const rows: [string, string][] = [
    ['Request', i.id],
    ['Scope', formatScope(i.scope) + (i.budgetId ? ` (budget ${i.budgetId} only)` : '')],
    ...(showAmounts ? [['Amount', displayUsd(i.amountPicos)] as [string, string]] : []),
    ['For', `${i.hours} hour${i.hours === 1 ? '' : 's'}`],
    ['Reason', i.reason],
    ['Requested by', i.requestedBy],
    ['Requested at', displayTime(i.createdAt, timeZone)],
    ['Status', statusText(i, timeZone)],
  ];
  if (i.note) rows.push(['Note', i.note]);
  return definitionList(rows);
}

/** "approved by alice at 2026-11-02 10:00 UTC, until 2026-11-02 18:00 UTC". */
export function statusText(i: Increase, timeZone: string): string {
  const by = i.decidedBy ? ` by ${i.decidedBy}` : '';
  const at = i.decidedAt === null ? '' : ` at ${displayTime(i.decidedAt, timeZone)}`;
  const until = i.status === 'approved' && i.expiresAt !== null ? `, until ${displayTime(i.expiresAt, timeZone)}` : '';
  return i.status === 'pending' ? 'pending' : `${i.status}${by}${at}${until}`;
}

/** One button that posts back to the same link (relative, so a path prefix in front of Tollgate still works). */
export function decisionForm(action: DecisionAction, exp: number, sig: string): string {
  const target = `${action}?exp=${exp}&sig=${encodeURIComponent(sig)}`;
  const label = action === 'approve' ? 'Approve' : 'Deny';
  return `<form method="post" action="${escapeHtml(target)}">
<label for="note">Note for the requester (optional)</label>
<textarea id="note" name="note" rows="3" maxlength="2000"></textarea>
<button type="submit" class="${action}">${label}</button>
</form>`;
}
