import { DateTime } from 'luxon';
import { EARLIEST_TIME } from '../core/instant.js';
import type { Dimension } from '../core/ledger-row.js';
import { type Picos, roundHalfUp } from '../core/money.js';
import { sortByCost } from '../reports/report.js';
import { startOfNext, startOfUnit } from '../policy/window.js';
import { type AggregateRow, type LedgerStore, type Totals, addTotals, emptyTotals } from '../storage/ports.js';

export interface StatementQuery {
  /** `2026-10`. */
  month: string;
  timeZone: string;
  by: Dimension;
  /** How many models to name per group. */
  topModels?: number;
}

export interface StatementLine extends Totals {
  /** The group ('' is spend attributed to none). */
  key: string;
  /** Share of the month's total spend, in parts per million (exact integer). */
  sharePpm: number;
  topModels: { model: string; costPicos: Picos }[];
  /** Pools that paid for part of this group's spend. */
  pools: { pool: string; costPicos: Picos }[];
}

export interface Statement {
  query: StatementQuery;
  since: number;
  until: number;
  lines: StatementLine[];
  /** The line for spend with no value of the dimension, or null when there is none. */
  unattributed: StatementLine | null;
  total: Totals;
}

/** The first year a statement can be for: the ledger holds no time before EARLIEST_TIME. */
const FIRST_YEAR = Number(EARLIEST_TIME.slice(0, 4));
const ACCEPTED = `use YYYY-MM from ${FIRST_YEAR}-01 to 9999-12, e.g. 2026-10`;

/** The month's bounds in the policy time zone; throws a RangeError that says what is accepted. */
export function monthBounds(month: string, timeZone: string): { since: number; until: number } {
  const m = /^(\d{4})-(\d{2})$/.exec(month.trim());
  const day1 = m ? DateTime.fromObject({ year: Number(m[1]), month: Number(m[2]), day: 1 }, { zone: timeZone }) : undefined;
  if (!day1?.isValid) throw new RangeError(`month "${month}": ${ACCEPTED}`);
  if (day1.year < FIRST_YEAR) throw new RangeError(`month "${month}" is before ${FIRST_YEAR}-01: the ledger holds no time before ${EARLIEST_TIME}; ${ACCEPTED}`);
  const start = startOfUnit(day1, 'month');
  return { since: start.toMillis(), until: startOfNext(start, 'month').toMillis() };
}

/**
 * A month's chargeback statement: per group (a team by default) its spend, requests,
 * tokens, share of the total, most expensive models and the pools that paid; spend with no
 * group is its own line, never folded into another.
 */
export async function chargeback(ledger: LedgerStore, q: StatementQuery): Promise<Statement> {
  const { since, until } = monthBounds(q.month, q.timeZone);
  const window = { since, until };
  const [groups, models, pools] = await Promise.all([
    ledger.aggregate({ ...window, by: [q.by] }),
    ledger.aggregate({ ...window, by: [q.by, 'model'], costOnly: true }),
    ledger.aggregate({ ...window, by: [q.by, 'pool'], costOnly: true }),
  ]);
  const total = emptyTotals();
  for (const g of groups) addTotals(total, g);
  const top = q.topModels ?? 3;
  const of = (rows: AggregateRow[], key: string) => sortByCost(rows.filter((r) => r.keys[0] === key && r.costPicos !== 0n));
  const lines = sortByCost(groups).map((g): StatementLine => {
    const key = g.keys[0] ?? '';
    return {
      ...g,
      key,
      sharePpm: total.costPicos <= 0n ? 0 : Number(roundHalfUp(g.costPicos * 1_000_000n, total.costPicos)),
      topModels: of(models, key).slice(0, top).map((r) => ({ model: r.keys[1]!, costPicos: r.costPicos })),
      pools: of(pools, key).filter((r) => r.keys[1] !== '').map((r) => ({ pool: r.keys[1]!, costPicos: r.costPicos })),
    };
  });
  return { query: q, since, until, lines: lines.filter((l) => l.key !== ''), unattributed: lines.find((l) => l.key === '') ?? null, total };
}
