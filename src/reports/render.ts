import { countText } from '../core/count-text.js';
import { roundingNote, usdColumn } from '../core/money.js';
import type { Totals } from '../storage/ports.js';
import { csvLine } from './csv.js';
import { type Concentration, type Report, cacheReadShare, costCell, costUsd } from './report.js';

const MEASURES = ['requests', 'input_tokens', 'cache_read_tokens', 'cache_write_tokens', 'cache_write_1h_tokens', 'output_tokens', 'reasoning_tokens', 'tool_calls', 'cost_usd', 'cache_read_share', 'errors', 'unpriced_requests'] as const;

function measureValues(t: Totals): (string | number | null)[] {
  const share = cacheReadShare(t);
  return [t.requests, t.inputTokens, t.cacheReadTokens, t.cacheWriteTokens, t.cacheWrite1hTokens, t.outputTokens, t.reasoningTokens, t.toolCalls, costUsd(t), share === null ? null : Number(share.toFixed(4)), t.errors, t.unpricedRequests];
}

function groupNames(r: Report): string[] {
  return r.query.by.map((d) => (d.startsWith('tag:') ? d.slice(4) : d));
}

export function renderJson(r: Report): string {
  const names = groupNames(r);
  const obj = (keys: string[], t: Totals) => {
    const o: Record<string, unknown> = {};
    names.forEach((n, i) => (o[n] = keys[i] === '' ? null : keys[i]));
    MEASURES.forEach((m, i) => (o[m] = measureValues(t)[i]));
    return o;
  };
  return (
    JSON.stringify(
      {
        since: r.query.since === undefined ? null : new Date(r.query.since).toISOString(),
        until: r.query.until === undefined ? null : new Date(r.query.until).toISOString(),
        by: r.query.by,
        rows: r.rows.map((row) => obj(row.keys, row)),
        total: obj([], r.total),
        concentration: r.concentration,
      },
      null,
      2,
    ) + '\n'
  );
}

export function renderCsv(r: Report): string {
  let out = csvLine([...groupNames(r), ...MEASURES]);
  for (const row of r.rows) out += csvLine([...row.keys, ...measureValues(row)]);
  return out;
}

/**
 * A human table: costs to the cent (one finer precision for a column all under a dollar), tokens
 * with thousands separators, the concentration line, and a line when the rounded costs do not add
 * up to the total (roundingNote).
 */
export function renderTable(r: Report): string {
  const names = groupNames(r);
  const head = [...names, 'requests', 'input', 'cache read', 'cache write', 'output', 'reasoning', 'cost (USD)', 'cache-read %', 'errors'];
  const usd = usdColumn([r.total.costPicos, ...r.rows.map((row) => row.costPicos)]);
  const line = (keys: string[], t: Totals) => {
    const share = cacheReadShare(t);
    return [...keys, countText(t.requests), countText(t.inputTokens), countText(t.cacheReadTokens), countText(t.cacheWriteTokens), countText(t.outputTokens), countText(t.reasoningTokens), costCell(t, usd), share === null ? '-' : (share * 100).toFixed(1) + '%', countText(t.errors)];
  };
  const body = r.rows.map((row) => line(row.keys.map((k) => (k === '' ? '(none)' : k)), row));
  const total = line(names.map((_, i) => (i === 0 ? 'TOTAL' : '')), r.total);
  if (names.length === 0) total[0] = total[0] ?? '';
  const rows = [head, ...body, ...(names.length ? [total] : [])];
  const widths = head.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
  const fmt = (row: string[]) => row.map((cell, c) => (c < names.length ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  const out = [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(fmt)];
  if (names.length) out.push(widths.map((w) => '-'.repeat(w)).join('  '), fmt(total));
  out.push('', concentrationLine('sessions', r.concentration.sessions), concentrationLine('workflows', r.concentration.workflows));
  const rounded = names.length ? roundingNote(r.rows.map((row) => row.costPicos), r.total.costPicos) : undefined;
  if (rounded) out.push(`${rounded} --format csv or json gives exact amounts.`);
  if (r.total.unpricedRequests) out.push(`* ${r.total.unpricedRequests} request(s) used a model with no known price; their cost is not included (a group none of whose requests had a price reads "unpriced", not $0). Add a pricing override (pricing.overrides in the config), or name the price list of a provider at its own address (providers[].catalog); see docs/pricing.md.`);
  return out.join('\n') + '\n';
}

function concentrationLine(what: string, c: Concentration): string {
  if (c.of === 0 || c.share === null) return `Concentration: no ${what} with spend in this window.`;
  return `Concentration: the top 10% of ${what} (${c.top} of ${c.of}) took ${(c.share * 100).toFixed(1)}% of their spend.`;
}
