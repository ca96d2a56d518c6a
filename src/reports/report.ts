import type { Dimension } from '../core/ledger-row.js';
import { type Picos, formatUsd } from '../core/money.js';
import { type AggregateRow, type LedgerStore, type TopShare, type Totals, addTotals, emptyTotals } from '../storage/ports.js';

export interface ReportQuery {
  since?: number;
  until?: number;
  by: Dimension[];
}

export interface Concentration {
  /** How many groups make the top 10%, out of how many. */
  top: number;
  of: number;
  /** Their share of the spend of all groups, 0..1 (null when there was no spend). */
  share: number | null;
}

export interface Report {
  query: ReportQuery;
  rows: AggregateRow[];
  total: Totals;
  concentration: { sessions: Concentration; workflows: Concentration };
}

/**
 * Groups spend by the asked dimensions, with the top-10% concentration line. Most expensive
 * first; with a day or hour among them, in time order along it (see `orderRows`).
 */
export async function runReport(store: LedgerStore, q: ReportQuery): Promise<Report> {
  const rows = orderRows(await store.aggregate(q), q.by);
  const total = emptyTotals();
  for (const r of rows) addTotals(total, r);
  // Ranked by the database, unless the report's rows are the groups already (sorted just now).
  const topOf = async (by: Dimension) => concentration(q.by.length === 1 && q.by[0] === by ? topShareOf(rows) : await store.topShare({ since: q.since, until: q.until, by }));
  const [sessions, workflows] = await Promise.all([topOf('session'), topOf('tag:workflow')]);
  return { query: q, rows, total, concentration: { sessions, workflows } };
}

export function sortByCost(rows: AggregateRow[]): AggregateRow[] {
  return rows.sort((a, b) => (b.costPicos > a.costPicos ? 1 : b.costPicos < a.costPicos ? -1 : b.requests - a.requests || cmp(a.keys, b.keys)));
}

const TIME_DIMENSIONS: readonly Dimension[] = ['day', 'hour'];

/**
 * Without a day or hour among `by`, the most expensive groups first (`sortByCost`). With one,
 * a time series: dimension by dimension, days and hours in time order, and the others' groups
 * most expensive first (their total over the rows that share the dimensions before them), so
 * that `--by day` reads as a calendar and `--by team day` as each team's days.
 */
export function orderRows(rows: AggregateRow[], by: readonly Dimension[]): AggregateRow[] {
  if (!by.some((d) => TIME_DIMENSIONS.includes(d))) return sortByCost(rows);
  const totals = new Map<string, Picos>();
  const prefix = (keys: string[], n: number) => keys.slice(0, n + 1).join('\u0000');
  for (const r of rows) {
    for (let i = 0; i < by.length; i++) {
      const k = prefix(r.keys, i);
      totals.set(k, (totals.get(k) ?? 0n) + r.costPicos);
    }
  }
  return rows.sort((a, b) => {
    for (let i = 0; i < by.length; i++) {
      const x = a.keys[i] ?? '';
      const y = b.keys[i] ?? '';
      if (x === y) continue;
      if (!TIME_DIMENSIONS.includes(by[i]!)) {
        const cx = totals.get(prefix(a.keys, i))!;
        const cy = totals.get(prefix(b.keys, i))!;
        if (cx !== cy) return cx > cy ? -1 : 1;
      }
      return x < y ? -1 : 1;
    }
    return 0;
  });
}

function cmp(a: string[], b: string[]): number {
  const x = a.join('\u0000');
  const y = b.join('\u0000');
  return x < y ? -1 : x > y ? 1 : 0;
}

/** What the store's topShare answers, from one dimension's groups sorted by cost (most first). */
export function topShareOf(sorted: readonly AggregateRow[]): TopShare {
  const costs = sorted.filter((g) => g.keys[0] !== '').map((g) => g.costPicos);
  const top = costs.length === 0 ? 0 : Math.max(1, Math.ceil(costs.length / 10));
  const sum = (xs: bigint[]) => xs.reduce((a, c) => a + c, 0n);
  return { groups: costs.length, top, topCostPicos: sum(costs.slice(0, top)), costPicos: sum(costs) };
}

/** The share of spend taken by the most expensive 10% of groups (rows without the attribute left out). */
export function concentration(t: TopShare): Concentration {
  if (t.groups === 0) return { top: 0, of: 0, share: null };
  return { top: t.top, of: t.groups, share: t.costPicos === 0n ? null : ratio(t.topCostPicos, t.costPicos) };
}

/** A bigint ratio as a number with 6 significant decimals, without overflowing a double. */
export function ratio(num: Picos | number, den: Picos | number): number {
  const n = BigInt(num);
  const d = BigInt(den);
  if (d === 0n) return 0;
  return Number((n * 1_000_000n) / d) / 1_000_000;
}

export function cacheReadShare(t: Totals): number | null {
  return t.inputTokens === 0 ? null : ratio(t.cacheReadTokens, t.inputTokens);
}

/**
 * Whether none of a group's requests had a price (a model the price list does not know): its
 * cost is unknown, not $0, as `export` gives such a row `cost_usd: null`. A group partly priced
 * has a known part, its sum, marked as leaving the rest out.
 */
export function costUnknown(t: Pick<Totals, 'requests' | 'unpricedRequests'>): boolean {
  return t.unpricedRequests > 0 && t.unpricedRequests >= t.requests;
}

/** A group's cost for JSON and CSV: exact decimal text, or null when none of its requests had a price. */
export function costUsd(t: Pick<Totals, 'requests' | 'unpricedRequests' | 'costPicos'>): string | null {
  return costUnknown(t) ? null : formatUsd(t.costPicos);
}

/** A group's cost for people: the amount (`*` when it leaves unpriced requests out), or "unpriced" when none had a price. */
export function costCell(t: Pick<Totals, 'requests' | 'unpricedRequests' | 'costPicos'>, usd: (p: Picos) => string): string {
  return costUnknown(t) ? 'unpriced' : usd(t.costPicos) + (t.unpricedRequests ? '*' : '');
}
