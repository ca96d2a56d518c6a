import type { Dimension } from '../core/ledger-row.js';
import { type Explanation, explain } from '../explain/explain.js';
import type { BudgetForecast } from '../forecast/budgets.js';
import type { RateBook } from '../pricing/unit-rates.js';
import { type Report, runReport, sortByCost } from '../reports/report.js';
import type { AggregateRow, LedgerStore } from '../storage/ports.js';

const HOUR_MS = 3_600_000;

/** The windows the dashboard offers: the last day, week or month, each against the one before it. */
export const SPANS = { '24h': 24 * HOUR_MS, '7d': 7 * 24 * HOUR_MS, '30d': 30 * 24 * HOUR_MS } as const;
export type Span = keyof typeof SPANS;
export const DEFAULT_SPAN: Span = '7d';

/** The span a `?span=` asks for (the default when absent); a RangeError naming the choices otherwise. */
export function spanOf(text: string | null): Span {
  if (text === null || text === '') return DEFAULT_SPAN;
  if (Object.hasOwn(SPANS, text)) return text as Span;
  throw new RangeError(`span must be one of ${Object.keys(SPANS).join(', ')}`);
}

/** Rows per breakdown; the rest is counted, and one command away. */
export const TOP_ROWS = 15;

export interface Breakdown {
  dimension: Dimension;
  rows: AggregateRow[];
  /** Groups left out beyond TOP_ROWS. */
  more: number;
}

export interface Overview {
  span: Span;
  since: number;
  until: number;
  /** By team, with the window's total and the concentration of spend in sessions and workflows. */
  report: Report;
  breakdowns: Breakdown[];
  /** This window against the one before it, of the same length. */
  change: Explanation;
  /** Every budget and pool, when spend controls are on. */
  forecasts: BudgetForecast[] | undefined;
}

export interface OverviewSources {
  ledger: LedgerStore;
  rates: RateBook;
  forecasts?: (now: number) => Promise<BudgetForecast[]>;
}

/** After the team's, which the report holds. */
const BREAKDOWNS: Dimension[] = ['model', 'user', 'tag:workflow', 'client'];

/** What the dashboard shows for a span ending now, read from the ledger's rollups. */
export async function loadOverview(s: OverviewSources, span: Span, now: number): Promise<Overview> {
  const length = SPANS[span];
  const since = now - length;
  const [report, change, forecasts, ...breakdowns] = await Promise.all([
    runReport(s.ledger, { since, until: now, by: ['team'] }),
    explain(s.ledger, { since: since - length, until: since, label: `prev-${span}` }, { since, until: now, label: `last-${span}` }, s.rates, now),
    s.forecasts?.(now),
    ...BREAKDOWNS.map(async (dimension) => breakdown(dimension, sortByCost(await s.ledger.aggregate({ since, until: now, by: [dimension] })))),
  ]);
  return { span, since, until: now, report, breakdowns: [breakdown('team', report.rows), ...breakdowns], change, forecasts };
}

function breakdown(dimension: Dimension, sorted: AggregateRow[]): Breakdown {
  return { dimension, rows: sorted.slice(0, TOP_ROWS), more: Math.max(0, sorted.length - TOP_ROWS) };
}
