import { CLIENT_VERSION_TAG, type Dimension } from '../core/ledger-row.js';
import { type Explanation, type GroupFilter, explain } from '../explain/explain.js';
import type { BudgetForecast } from '../forecast/budgets.js';
import { type Scope, sameScope } from '../policy/scope.js';
import type { RateBook } from '../pricing/unit-rates.js';
import { type Concentration, runReport } from '../reports/report.js';
import { type Breakdown, groupsWhere, topGroups, totalOf } from '../reports/scope-spend.js';
import type { LedgerStore, Totals } from '../storage/ports.js';

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

/** The ledger dimension each narrowing reads. */
export const FILTER_DIMENSION: Record<GroupFilter['field'], Dimension> = { user: 'user', team: 'team', model: 'model', provider: 'provider', client: 'client', workflow: 'tag:workflow' };

export interface Overview {
  span: Span;
  since: number;
  until: number;
  /** One team, user, model… when the view is narrowed to it; everyone's otherwise. */
  only: GroupFilter | undefined;
  total: Totals;
  /** The share of spend in the top sessions and workflows (everyone's view only). */
  concentration: { sessions: Concentration; workflows: Concentration } | undefined;
  breakdowns: Breakdown[];
  /** This window against the one before it, of the same length. */
  change: Explanation;
  /** The budgets and pools (those on the narrowed scope alone), when spend controls are on. */
  forecasts: BudgetForecast[] | undefined;
}

export interface OverviewSources {
  ledger: LedgerStore;
  rates: RateBook;
  forecasts?: (now: number) => Promise<BudgetForecast[]>;
}

const BREAKDOWNS: Dimension[] = ['team', 'model', 'user', 'tag:workflow', 'client'];
/** One client's view adds its versions (the `client_version` tag): what each release spent, and its cache reads. */
const CLIENT_BREAKDOWNS: Dimension[] = [...BREAKDOWNS, `tag:${CLIENT_VERSION_TAG}`];

/**
 * The budget scope whose budgets a narrowed view shows: a workflow's are its tag's (`tag:workflow=review`);
 * a client has none (no scope names a client).
 */
export function scopeOfFilter(only: GroupFilter): Scope | undefined {
  if (only.field === 'client') return undefined;
  return only.field === 'workflow' ? { kind: 'tag', value: `workflow=${only.value}` } : { kind: only.field, value: only.value };
}

/** The budgets on exactly the narrowed group's scope, compared as the rules compare scopes: `model:GPT-5` is gpt-5's. */
export function budgetsOf(forecasts: BudgetForecast[], only: GroupFilter): BudgetForecast[] {
  const scope = scopeOfFilter(only);
  return scope === undefined ? [] : forecasts.filter((f) => f.budget.kind !== 'pool' && sameScope(f.budget.scope, scope));
}

/** What the dashboard shows for a span ending now, read from the ledger's rollups; `only` narrows it to one group. */
export async function loadOverview(s: OverviewSources, span: Span, now: number, only?: GroupFilter): Promise<Overview> {
  const length = SPANS[span];
  const since = now - length;
  const filter = only && { dimension: FILTER_DIMENSION[only.field], matches: (v: string) => v === only.value };
  const [head, change, forecasts, ...groups] = await Promise.all([
    only ? Promise.resolve(undefined) : runReport(s.ledger, { since, until: now, by: ['team'] }),
    explain(s.ledger, { since: since - length, until: since, label: `prev-${span}` }, { since, until: now, label: `last-${span}` }, s.rates, now, only),
    s.forecasts?.(now),
    // Everyone's teams come with the report.
    ...(only?.field === 'client' ? CLIENT_BREAKDOWNS : BREAKDOWNS).filter((d) => d !== (filter ? filter.dimension : 'team')).map(async (dimension) => ({ dimension, all: await groupsWhere(s.ledger, filter, dimension, since, now) })),
  ]);
  if (head) groups.unshift({ dimension: 'team', all: head.rows });
  return {
    span,
    since,
    until: now,
    only,
    total: head?.total ?? totalOf(groups[0]!.all),
    concentration: head?.concentration,
    breakdowns: groups.map((g) => topGroups(g.dimension, g.all, TOP_ROWS)),
    change,
    forecasts: only === undefined || forecasts === undefined ? forecasts : budgetsOf(forecasts, only),
  };
}
