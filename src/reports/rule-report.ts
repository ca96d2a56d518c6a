import { countText } from '../core/count-text.js';
import { formatUsd, usdColumn } from '../core/money.js';
import type { LedgerStore, RuleTotals } from '../storage/ports.js';
import { csvLine } from './csv.js';
import { ratio } from './report.js';

export interface RuleReport {
  since: number | undefined;
  until: number | undefined;
  /** Largest saving first. */
  rows: RuleTotals[];
  /** Enforced rules' actual savings and shadow rules' estimated ones, kept apart: they do not add up. */
  totals: { enforce: RuleTotals; shadow: RuleTotals };
}

/** Each routing rule's hits, spend and savings over a window (`tollgate report --by rule`). */
export async function runRuleReport(store: LedgerStore, w: { since?: number; until?: number }): Promise<RuleReport> {
  const rows = (await store.ruleTotals(w)).sort((a, b) => (b.savingPicos > a.savingPicos ? 1 : b.savingPicos < a.savingPicos ? -1 : b.requests - a.requests || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : a.mode < b.mode ? -1 : 1)));
  const total = (mode: RuleTotals['mode']): RuleTotals => {
    const t: RuleTotals = { rule: '', mode, requests: 0, errors: 0, unpricedRequests: 0, inputTokens: 0, outputTokens: 0, costPicos: 0n, savingPicos: 0n };
    for (const r of rows.filter((x) => x.mode === mode)) {
      t.requests += r.requests;
      t.errors += r.errors;
      t.unpricedRequests += r.unpricedRequests;
      t.inputTokens += r.inputTokens;
      t.outputTokens += r.outputTokens;
      t.costPicos += r.costPicos;
      t.savingPicos += r.savingPicos;
    }
    return t;
  };
  return { since: w.since, until: w.until, rows, totals: { enforce: total('enforce'), shadow: total('shadow') } };
}

/**
 * The saving as a share of the spend it is measured against: for an enforced rule what
 * the requests would have cost (cost + saving), for a shadow rule what they did cost.
 */
export function savingShare(t: RuleTotals): number | null {
  const base = t.mode === 'enforce' ? t.costPicos + t.savingPicos : t.costPicos;
  return base <= 0n ? null : ratio(t.savingPicos, base);
}

const basis = (t: RuleTotals) => (t.mode === 'enforce' ? 'actual' : 'estimated');
const COLUMNS = ['rule', 'mode', 'requests', 'errors', 'input_tokens', 'output_tokens', 'cost_usd', 'saving_usd', 'saving_basis', 'saving_share', 'unknown_saving_requests'] as const;

function values(t: RuleTotals): (string | number | null)[] {
  const share = savingShare(t);
  return [t.rule, t.mode, t.requests, t.errors, t.inputTokens, t.outputTokens, formatUsd(t.costPicos), formatUsd(t.savingPicos), basis(t), share === null ? null : Number(share.toFixed(4)), t.unpricedRequests];
}

function object(t: RuleTotals, skip: readonly string[] = []): Record<string, unknown> {
  const v = values(t);
  const o: Record<string, unknown> = {};
  COLUMNS.forEach((c, i) => {
    if (!skip.includes(c)) o[c] = v[i];
  });
  return o;
}

export function renderRuleJson(r: RuleReport): string {
  const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());
  const totals = { enforce: object(r.totals.enforce, ['rule', 'mode']), shadow: object(r.totals.shadow, ['rule', 'mode']) };
  return JSON.stringify({ since: iso(r.since), until: iso(r.until), by: ['rule'], rows: r.rows.map((t) => object(t)), totals }, null, 2) + '\n';
}

export function renderRuleCsv(r: RuleReport): string {
  let out = csvLine([...COLUMNS]);
  for (const t of r.rows) out += csvLine(values(t));
  return out;
}

export function renderRuleTable(r: RuleReport): string {
  if (r.rows.length === 0) return 'No request matched a routing rule in this window.\n';
  const head = ['rule', 'mode', 'requests', 'errors', 'input', 'output', 'cost (USD)', 'saving (USD)', 'saving %', 'basis'];
  const { enforce, shadow } = r.totals;
  // One scale a column, the totals' lines with the savings': "$0.01" saved beside "$0.00498" read as two figures.
  const cost = usdColumn(r.rows.map((t) => t.costPicos));
  const saving = usdColumn([...r.rows.map((t) => t.savingPicos), enforce.savingPicos, shadow.savingPicos]);
  const line = (t: RuleTotals) => {
    const share = savingShare(t);
    return [t.rule, t.mode, countText(t.requests), countText(t.errors), countText(t.inputTokens), countText(t.outputTokens), cost(t.costPicos), saving(t.savingPicos) + (t.unpricedRequests ? '*' : ''), share === null ? '-' : (share * 100).toFixed(1) + '%', basis(t)];
  };
  const rows = [head, ...r.rows.map(line)];
  const widths = head.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const fmt = (row: string[]) => row.map((cell, c) => (c < 2 || c === 9 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd();
  const out = [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(fmt), ''];
  if (enforce.requests) out.push(`Enforced rules moved ${countText(enforce.requests)} request(s) and saved ${saving(enforce.savingPicos)} (actual: their usage priced at the requested models).`);
  if (shadow.requests) out.push(`Shadow rules matched ${countText(shadow.requests)} request(s) and would have saved ${saving(shadow.savingPicos)} (estimated: their usage priced at the rules' models).`);
  const unknown = enforce.unpricedRequests + shadow.unpricedRequests;
  if (unknown) out.push(`* ${unknown} request(s) have no saving: the served or the compared model has no price. Add a pricing override.`);
  return out.join('\n') + '\n';
}
