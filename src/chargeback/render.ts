import { apportion, formatUsd, roundingNote, usdColumn } from '../core/money.js';
import { csvLine } from '../reports/csv.js';
import { costCell, costUnknown, costUsd } from '../reports/report.js';
import type { Statement, StatementLine } from './statement.js';

const iso = (ms: number) => new Date(ms).toISOString();
const percent = (tenths: number) => `${(tenths / 10).toFixed(1)}%`;
/** A line's share as a fraction; null when none of its requests had a price (its share is unknown, not 0). */
const shareOf = (l: StatementLine) => (costUnknown(l) ? null : l.sharePpm / 1_000_000);

function groupName(s: Statement): string {
  return s.query.by.startsWith('tag:') ? s.query.by.slice(4) : s.query.by;
}

/** How to give requests the statement's dimension, through the gateway and for imported logs. */
function attributeHint(by: string, name: string): string {
  if (by === 'user' || by === 'team') return `give keys a ${name} or send x-tollgate-${name}, and import logs with --${name} (or import.${name} in the config)`;
  if (by === 'project') return 'give keys a project or send x-tollgate-project; imported logs take their git repository unless --project says otherwise';
  if (by === 'key') return 'these came without a virtual key (imported logs, telemetry)';
  return `send x-tollgate-tags: ${name}=…`;
}

function lineJson(l: StatementLine): Record<string, unknown> {
  return {
    spend_usd: costUsd(l),
    share: shareOf(l),
    requests: l.requests,
    input_tokens: l.inputTokens,
    cache_read_tokens: l.cacheReadTokens,
    cache_write_tokens: l.cacheWriteTokens,
    output_tokens: l.outputTokens,
    reasoning_tokens: l.reasoningTokens,
    unpriced_requests: l.unpricedRequests,
    top_models: l.topModels.map((m) => ({ model: m.model, spend_usd: formatUsd(m.costPicos) })),
    pools: l.pools.map((p) => ({ pool: p.pool, spend_usd: formatUsd(p.costPicos) })),
  };
}

export function renderStatementJson(s: Statement): string {
  const name = groupName(s);
  const t = s.total;
  return (
    JSON.stringify(
      {
        month: s.query.month,
        time_zone: s.query.timeZone,
        since: iso(s.since),
        until: iso(s.until),
        by: s.query.by,
        lines: s.lines.map((l) => ({ [name]: l.key, ...lineJson(l) })),
        unattributed: s.unattributed && lineJson(s.unattributed),
        total: { spend_usd: costUsd(t), requests: t.requests, input_tokens: t.inputTokens, cache_read_tokens: t.cacheReadTokens, cache_write_tokens: t.cacheWriteTokens, output_tokens: t.outputTokens, reasoning_tokens: t.reasoningTokens, unpriced_requests: t.unpricedRequests },
      },
      null,
      2,
    ) + '\n'
  );
}

/** One line per group, the unattributed line last (its group is empty); lists as `name=usd;…`. */
export function renderStatementCsv(s: Statement): string {
  const head = [groupName(s), 'spend_usd', 'share', 'requests', 'input_tokens', 'cache_read_tokens', 'cache_write_tokens', 'output_tokens', 'unpriced_requests', 'top_models', 'pools'];
  const line = (l: StatementLine, label: string) =>
    csvLine([label, costUsd(l), shareOf(l), l.requests, l.inputTokens, l.cacheReadTokens, l.cacheWriteTokens, l.outputTokens, l.unpricedRequests, l.topModels.map((m) => `${m.model}=${formatUsd(m.costPicos)}`).join(';'), l.pools.map((p) => `${p.pool}=${formatUsd(p.costPicos)}`).join(';')]);
  return csvLine(head) + s.lines.map((l) => line(l, l.key)).join('') + (s.unattributed ? line(s.unattributed, '') : '');
}

export function renderStatementTable(s: Statement, now: number = Date.now()): string {
  const name = groupName(s);
  const tokens = (n: number) => n.toLocaleString('en-US');
  const head = [name.toUpperCase(), 'SPEND', 'SHARE', 'REQUESTS', 'INPUT', 'CACHE READ', 'OUTPUT', 'TOP MODELS', 'POOLS THAT PAID'];
  const lines = [...s.lines, ...(s.unattributed ? [s.unattributed] : [])];
  const usd = usdColumn([s.total.costPicos, ...lines.map((l) => l.costPicos)]);
  // Each list column by the spend column's rule over its own amounts: a model's share of a line is
  // smaller than the line, and the line's decimals would round it to one digit or to "<$0.0001".
  const modelUsd = usdColumn(lines.flatMap((l) => l.topModels.map((m) => m.costPicos)));
  const poolUsd = usdColumn(lines.flatMap((l) => l.pools.map((p) => p.costPicos)));
  // Shares in tenths of a percent that add up to the TOTAL line's 100.0%: each line rounded on its
  // own would show 99.9% or 100.1% in all as often as not.
  const shares = apportion(lines.map((l) => l.costPicos), 1000);
  const share = (l: StatementLine) => (costUnknown(l) ? 'unpriced' : s.total.costPicos <= 0n ? '-' : percent(shares?.[lines.indexOf(l)] ?? Math.round(l.sharePpm / 100)));
  const row = (l: StatementLine, label: string) => [
    label,
    costCell(l, usd),
    share(l),
    tokens(l.requests),
    tokens(l.inputTokens),
    tokens(l.cacheReadTokens),
    tokens(l.outputTokens),
    l.topModels.map((m) => `${m.model} ${modelUsd(m.costPicos)}`).join(', ') || '-',
    l.pools.map((p) => `${p.pool} ${poolUsd(p.costPicos)}`).join(', ') || '-',
  ];
  const body = s.lines.map((l) => row(l, l.key));
  if (s.unattributed) body.push(row(s.unattributed, `(unattributed)`));
  const t = s.total;
  const total = ['TOTAL', costCell(t, usd), t.costPicos > 0n ? '100.0%' : '-', tokens(t.requests), tokens(t.inputTokens), tokens(t.cacheReadTokens), tokens(t.outputTokens), '', ''];
  const all = [head, ...body, total];
  const widths = head.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  const numeric = new Set([1, 2, 3, 4, 5, 6]);
  const fmt = (r: string[]) => r.map((cell, c) => (numeric.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const out = [`Chargeback statement for ${s.query.month} (${s.query.timeZone}: ${iso(s.since)} to ${iso(s.until)}), by ${name}`, '', fmt(head), rule, ...body.map(fmt), rule, fmt(total), ''];
  if (s.unattributed) out.push(`(unattributed): spend by requests with no ${name}; ${attributeHint(s.query.by, name)}.`);
  if (t.unpricedRequests) out.push(`* ${t.unpricedRequests} request(s) used a model with no known price; their cost is not included (a line none of whose requests had a price reads "unpriced", not $0).`);
  const rounded = roundingNote(lines.map((l) => l.costPicos), t.costPicos);
  if (rounded) out.push(`${rounded} --format csv or json gives exact amounts.`);
  if (t.requests === 0) out.push(s.since > now ? 'No spend in this month: it has not begun.' : 'No spend in this month.');
  return out.join('\n') + '\n';
}
