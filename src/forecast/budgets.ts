import { DateTime } from 'luxon';
import type { Dimension } from '../core/ledger-row.js';
import { type Picos, formatUsd, roundHalfUp } from '../core/money.js';
import { counterFromLedger, dimensionOf } from '../policy/ledger-spend.js';
import { budgetCounter } from '../policy/plan.js';
import { type Budget, type Increase, type RuleSet, effectiveLimit, increaseApplies } from '../policy/rules.js';
import { formatScope } from '../policy/scope.js';
import { formatWindow, startOfUnit } from '../policy/window.js';
import type { AggregateRow, LedgerStore } from '../storage/ports.js';
import { type Forecast, type LimitStep, projectBudget } from './project.js';

export const DEFAULT_LOOKBACK_DAYS = 28;

export interface ForecastOptions {
  timeZone: string;
  /** Counter key prefix (only to build the same counters the gateway keeps). */
  keyPrefix: string;
  now: number;
  lookbackDays?: number;
  /** Only these budgets or pools. */
  ids?: readonly string[];
}

export interface BudgetForecast {
  budget: Budget;
  forecast: Forecast;
}

/**
 * Forecasts every budget and pool from the ledger: spend so far in the window exactly as the
 * budget counts it (its pool's share excluded), and the scope's hourly spend history from the
 * rollups. One aggregate per distinct scope dimension, shared by the budgets on it.
 */
export async function forecastBudgets(ledger: LedgerStore, rules: RuleSet, o: ForecastOptions): Promise<BudgetForecast[]> {
  const lookbackDays = o.lookbackDays ?? DEFAULT_LOOKBACK_DAYS;
  // From the UTC hour that holds the first day's start: in a half-hour zone it straddles midnight and counts in that day.
  const firstDay = startOfUnit(startOfUnit(DateTime.fromMillis(o.now, { zone: o.timeZone }), 'day').minus({ days: lookbackDays }), 'day').toMillis();
  const since = Math.floor(firstDay / 3_600_000) * 3_600_000;
  const cache = new Map<string, Promise<AggregateRow[]>>();
  const hoursBy = (dim: Dimension | null) => {
    const by: Dimension[] = dim ? [dim, 'hour'] : ['hour'];
    const key = by.join(',');
    let rows = cache.get(key);
    if (!rows) cache.set(key, (rows = ledger.aggregate({ since, until: o.now + 1, by })));
    return rows;
  };
  const chosen = o.ids ? rules.budgets.filter((b) => o.ids!.includes(b.id)) : rules.budgets;
  const out: BudgetForecast[] = [];
  for (const b of chosen) {
    const counter = budgetCounter(o.keyPrefix, b, rules, o.now, o.timeZone);
    const init = await counterFromLedger(ledger, counter, o.now);
    const spent = init.amounts.reduce((s, a) => s + a.amount, 0n);
    const { dim, test } = b.kind === 'pool' ? { dim: 'pool' as Dimension, test: (v: string) => v === b.id } : dimensionOf(b.scope);
    const hourly = new Map<number, Picos>();
    for (const r of await hoursBy(dim)) {
      if (dim !== null && !test(r.keys[0] ?? '')) continue;
      const hour = Date.parse(r.keys[dim ? 1 : 0] ?? '');
      hourly.set(hour, (hourly.get(hour) ?? 0n) + r.costPicos);
    }
    const limitSteps = lapses(b, rules.increases, o.now);
    out.push({ budget: b, forecast: projectBudget({ window: b.window, timeZone: o.timeZone, now: o.now, limitPicos: counter.line.limit, spentPicos: spent, hourly, lookbackDays, limitSteps }) });
  }
  return out;
}

/** The moments the increases raising this budget now lapse, each with the limit from then on. */
function lapses(b: Budget, increases: readonly Increase[], now: number): LimitStep[] {
  const ends = new Set<number>();
  for (const i of increases) {
    if (i.status === 'approved' && i.expiresAt !== null && i.expiresAt > now && increaseApplies(i, b)) ends.add(i.expiresAt);
  }
  return [...ends].sort((x, y) => x - y).map((at) => ({ at, limitPicos: effectiveLimit(b, increases, at) }));
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The JSON view (admin API and `--format json`): amounts as exact decimal strings. */
export function forecastView({ budget: b, forecast: f }: BudgetForecast): Record<string, unknown> {
  return {
    budget_id: b.id,
    kind: b.kind,
    name: b.name,
    scope: formatScope(b.scope),
    window: formatWindow(b.window),
    window_start: iso(f.windowStart),
    window_end: iso(f.windowEnd),
    limit_usd: formatUsd(f.limitPicos),
    spent_usd: formatUsd(f.spentPicos),
    daily_rate_usd: formatUsd(f.dailyRatePicos),
    projected_usd: formatUsd(f.projectedPicos),
    projected_percent: projectedPercent(f),
    runs_out_at: iso(f.runOutAt),
    status: f.status,
    method: f.method,
    history_days: f.historyDays,
  };
}

/**
 * The forecast as budget status views carry it (`/budgets/status`, `/me`). Without amounts
 * (`policy.show_amounts: false`) only the share of the limit and the run-out moment are shown.
 */
export function forecastSummary(f: Forecast, showAmounts = true): Record<string, unknown> {
  const view: Record<string, unknown> = { status: f.status, method: f.method };
  if (showAmounts) Object.assign(view, { daily_rate_usd: formatUsd(f.dailyRatePicos), projected_usd: formatUsd(f.projectedPicos) });
  return Object.assign(view, { projected_percent: projectedPercent(f), runs_out_at: iso(f.runOutAt) });
}

/** Projected spend as a percentage of the limit, to a tenth, rounded half up; null without a limit. */
export function projectedPercent(f: Forecast): number | null {
  return f.limitPicos > 0n ? Number(roundHalfUp(f.projectedPicos * 1000n, f.limitPicos)) / 10 : null;
}
