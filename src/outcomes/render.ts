import { formatUsd, usdColumn } from '../core/money.js';
import { csvLine } from '../reports/csv.js';
import { formatValue } from './outcome.js';
import type { OutcomeReport, OutcomeReportRow } from './report.js';

const usdOrNull = (p: bigint | null) => (p === null ? null : formatUsd(p));

function name(r: OutcomeReport): string {
  return r.query.by.startsWith('tag:') ? r.query.by.slice(4) : r.query.by;
}

function fields(row: OutcomeReportRow): Record<string, string | number | null> {
  return {
    requests: row.requests,
    spend_usd: formatUsd(row.spendPicos),
    outcomes: Number(formatValue(row.outcomeMicros)),
    cost_per_outcome_usd: usdOrNull(row.costPerOutcomePicos),
    session_spend_usd: formatUsd(row.sessionSpendPicos),
    session_outcomes: Number(formatValue(row.sessionOutcomeMicros)),
    session_cost_per_outcome_usd: usdOrNull(row.sessionCostPerOutcomePicos),
  };
}

export function renderOutcomeJson(r: OutcomeReport): string {
  const n = name(r);
  return (
    JSON.stringify(
      {
        since: r.query.since === undefined ? null : new Date(r.query.since).toISOString(),
        until: r.query.until === undefined ? null : new Date(r.query.until).toISOString(),
        by: r.query.by,
        kind: r.query.kind ?? null,
        rows: r.rows.map((row) => ({ [n]: row.key === '' ? null : row.key, ...fields(row) })),
        total: fields(r.total),
      },
      null,
      2,
    ) + '\n'
  );
}

export function renderOutcomeCsv(r: OutcomeReport): string {
  const head = [name(r), ...Object.keys(fields(r.total))];
  return csvLine(head) + r.rows.map((row) => csvLine([row.key, ...Object.values(fields(row))])).join('');
}

export function renderOutcomeTable(r: OutcomeReport): string {
  // Each money column its own decimals (as `report`'s): under a dollar, enough for its smallest amount.
  const all = [...r.rows, r.total];
  const column = (pick: (row: OutcomeReportRow) => bigint | null) => {
    const usd = usdColumn(all.flatMap((row) => pick(row) ?? []));
    return (row: OutcomeReportRow) => (pick(row) === null ? '-' : usd(pick(row)!));
  };
  const [spend, perOutcome, sessionSpend, sessionPerOutcome] = [column((x) => x.spendPicos), column((x) => x.costPerOutcomePicos), column((x) => x.sessionSpendPicos), column((x) => x.sessionCostPerOutcomePicos)];
  const line = (key: string, row: OutcomeReportRow) => [key, row.requests.toLocaleString('en-US'), spend(row), formatValue(row.outcomeMicros), perOutcome(row), sessionSpend(row), sessionPerOutcome(row)];
  const head = [name(r), 'requests', 'spend', `outcomes${r.query.kind ? ` (${r.query.kind})` : ''}`, 'cost/outcome', 'session spend', 'session cost/outcome'];
  const rows = [head, ...r.rows.map((row) => line(row.key === '' ? '(none)' : row.key, row)), line('TOTAL', r.total)];
  const widths = head.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const fmt = (row: string[]) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const body = rows.slice(1, -1).map(fmt);
  return [fmt(head), rule, ...body, rule, fmt(rows.at(-1)!), '', 'cost/outcome: all the group\'s spend ÷ its outcomes. session cost/outcome: the spend of the sessions its outcomes name ÷ those outcomes.', ''].join('\n');
}

