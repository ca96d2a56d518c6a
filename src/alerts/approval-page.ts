import type { Increase } from '../policy/rules.js';
import { formatScope } from '../policy/scope.js';
import { displayUsd } from '../core/money.js';
import { displayTime } from './format.js';
import type { DecisionAction } from './signed-link.js';

/**
 * The small pages behind signed approve/deny links. Self-contained (inline style, no
 * scripts, no external assets) and every interpolated value is escaped.
 */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Tight by design: the page needs nothing but its own style and a form posting back to itself. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  // The URL carries the signature; it must not leak to other sites.
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
} as const;

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1d1d1f}
h1{font-size:1.4rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dt{color:#666}dd{margin:0;overflow-wrap:anywhere}
textarea{width:100%;box-sizing:border-box;font:inherit}button{font:inherit;padding:.5rem 1.5rem;margin-top:.8rem;cursor:pointer}
.approve{background:#1a7f37;color:#fff;border:0}.deny{background:#cf222e;color:#fff;border:0}`;

/** A whole page; `bodyHtml` must already be escaped. */
export function page(title: string, bodyHtml: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)} · Tollgate</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${bodyHtml}
</body></html>
`;
}

export function paragraph(text: string): string {
  return `<p>${escapeHtml(text)}</p>`;
}

/** What was asked, by whom, and where it stands. */
export function increaseDetails(i: Increase, timeZone: string): string {
  const rows: [string, string][] = [
    ['Request', i.id],
    ['Scope', formatScope(i.scope) + (i.budgetId ? ` (budget ${i.budgetId} only)` : '')],
    ['Amount', displayUsd(i.amountPicos)],
    ['For', `${i.hours} hour${i.hours === 1 ? '' : 's'}`],
    ['Reason', i.reason],
    ['Requested by', i.requestedBy],
    ['Requested at', displayTime(i.createdAt, timeZone)],
    ['Status', statusText(i, timeZone)],
  ];
  if (i.note) rows.push(['Note', i.note]);
  return `<dl>${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`;
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
