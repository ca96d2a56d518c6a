/**
 * The small pages behind signed links (approve/deny, an anomaly's evidence). Self-contained
 * (inline style, no scripts, no external assets) and every interpolated value is escaped.
 */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Tight by design: a page needs nothing but its own style and, for decisions, a form posting back to itself. */
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
body.wide{max-width:72rem}h1{font-size:1.4rem}h1,p{overflow-wrap:anywhere}h2{font-size:1.1rem;margin-top:2rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dt{color:#666}dd{margin:0;overflow-wrap:anywhere}
textarea{width:100%;box-sizing:border-box;font:inherit}button{font:inherit;padding:.5rem 1.5rem;margin-top:.8rem;cursor:pointer}
.approve{background:#1a7f37;color:#fff;border:0}.deny{background:#cf222e;color:#fff;border:0}
.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.9rem}th,td{padding:.25rem .6rem;border-bottom:1px solid #ddd;white-space:nowrap}
th{text-align:left;color:#444}td.n{text-align:right;font-variant-numeric:tabular-nums}tr.total td{font-weight:600}
pre{background:#f5f5f7;padding:.8rem;overflow-x:auto;font-size:.85rem}.critical{color:#cf222e}.warning{color:#9a6700}`;

/** A whole page; `bodyHtml` must already be escaped. Wide pages hold tables. */
export function page(title: string, bodyHtml: string, o: { wide?: boolean } = {}): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)} · Tollgate</title><style>${STYLE}</style></head>
<body${o.wide ? ' class="wide"' : ''}><h1>${escapeHtml(title)}</h1>
${bodyHtml}
</body></html>
`;
}

/** Label and value pairs, escaped. */
export function definitionList(rows: readonly (readonly [string, string])[]): string {
  return `<dl>${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`;
}

export function paragraph(text: string): string {
  return `<p>${escapeHtml(text)}</p>`;
}

/**
 * A table of text cells; columns named in `numeric` are right-aligned, and those in `html` hold
 * markup already escaped (links). The last row is a total when `total` is set.
 */
export function table(head: readonly string[], rows: readonly (readonly string[])[], o: { numeric?: ReadonlySet<number>; html?: ReadonlySet<number>; total?: boolean } = {}): string {
  const cell = (tag: 'th' | 'td', v: string, i: number) => `<${tag}${tag === 'td' && o.numeric?.has(i) ? ' class="n"' : ''}>${tag === 'td' && o.html?.has(i) ? v : escapeHtml(v)}</${tag}>`;
  const body = rows.map((r, k) => `<tr${o.total && k === rows.length - 1 ? ' class="total"' : ''}>${r.map((v, i) => cell('td', v, i)).join('')}</tr>`).join('\n');
  return `<div class="scroll"><table><thead><tr>${head.map((v, i) => cell('th', v, i)).join('')}</tr></thead>\n<tbody>${body}</tbody></table></div>`;
}
