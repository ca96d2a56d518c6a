import { type Picos, formatUsd, roundingNote, usdColumn } from '../core/money.js';
import { csvLine } from '../reports/csv.js';
import { costCell, costUnknown, costUsd } from '../reports/report.js';
import { formatValue } from './outcome.js';
import { type OutcomeReport, type OutcomeReportRow, sessionSpendOf, spendOf } from './report.js';

const usdOrNull = (p: bigint | null) => (p === null ? null : formatUsd(p));

function name(r: OutcomeReport): string {
  return r.query.by.startsWith('tag:') ? r.query.by.slice(4) : r.query.by;
}

// JSON and CSV: a spend none of whose requests had a price is null (so is its cost per outcome), as `report` gives it; the
// unpriced counts come last, so that a CSV read by position keeps its columns.
function fields(row: OutcomeReportRow): Record<string, string | number | null> {
  return {
    requests: row.requests,
    spend_usd: costUsd(spendOf(row)),
    outcomes: Number(formatValue(row.outcomeMicros)),
    cost_per_outcome_usd: usdOrNull(row.costPerOutcomePicos),
    session_spend_usd: costUsd(sessionSpendOf(row)),
    session_outcomes: Number(formatValue(row.sessionOutcomeMicros)),
    session_cost_per_outcome_usd: usdOrNull(row.sessionCostPerOutcomePicos),
    unpriced_requests: row.unpricedRequests,
    session_unpriced_requests: row.sessionUnpricedRequests,
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

type Spend = ReturnType<typeof spendOf>;

/**
 * A spend and its cost per outcome as cells, each column with its own decimals (as `report`'s): a spend that leaves
 * unpriced requests out is starred and so is the cost per outcome divided from it; with no price at all both read "unpriced".
 */
function spendColumns(all: OutcomeReportRow[], spend: (row: OutcomeReportRow) => Spend, perOutcome: (row: OutcomeReportRow) => Picos | null, outcomes: (row: OutcomeReportRow) => bigint) {
  const spendUsd = usdColumn(all.map((row) => spend(row).costPicos));
  const perUsd = usdColumn(all.flatMap((row) => perOutcome(row) ?? []));
  return {
    spend: (row: OutcomeReportRow) => costCell(spend(row), spendUsd),
    perOutcome: (row: OutcomeReportRow) => {
      const per = perOutcome(row);
      if (per !== null) return costCell({ ...spend(row), costPicos: per }, perUsd);
      return outcomes(row) > 0n && costUnknown(spend(row)) ? 'unpriced' : '-';
    },
  };
}

export function renderOutcomeTable(r: OutcomeReport): string {
  const all = [...r.rows, r.total];
  const group = spendColumns(all, spendOf, (x) => x.costPerOutcomePicos, (x) => x.outcomeMicros);
  const session = spendColumns(all, sessionSpendOf, (x) => x.sessionCostPerOutcomePicos, (x) => x.sessionOutcomeMicros);
  const line = (key: string, row: OutcomeReportRow) => [key, row.requests.toLocaleString('en-US'), group.spend(row), formatValue(row.outcomeMicros), group.perOutcome(row), session.spend(row), session.perOutcome(row)];
  const head = [name(r), 'requests', 'spend', `outcomes${r.query.kind ? ` (${r.query.kind})` : ''}`, 'cost/outcome', 'session spend', 'session cost/outcome'];
  const rows = [head, ...r.rows.map((row) => line(row.key === '' ? '(none)' : row.key, row)), line('TOTAL', r.total)];
  const widths = head.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const fmt = (row: string[]) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const body = rows.slice(1, -1).map(fmt);
  const out = [fmt(head), rule, ...body, rule, fmt(rows.at(-1)!), '', 'cost/outcome: all the group\'s spend ÷ its outcomes. session cost/outcome: the spend of the sessions its outcomes name ÷ those outcomes.'];
  // Spend alone adds up across groups: a session's spend counts for every group whose outcomes name it.
  const rounded = roundingNote(r.rows.map((row) => row.spendPicos), r.total.spendPicos);
  if (rounded) out.push(`${rounded} --format csv or json gives exact amounts.`);
  const unpriced = r.total.unpricedRequests;
  if (unpriced) out.push(`* ${unpriced} request(s) used a model with no known price; their cost is not included, nor in the cost per outcome divided from it (a group none of whose requests had a price reads "unpriced", not $0). Add a pricing override (pricing.overrides in the config); see docs/pricing.md.`);
  return out.join('\n') + '\n';
}
