import type { Dimension } from '../core/ledger-row.js';
import { type Scope, type ScopeKind, type Subject, parseScope, scopeMatches } from '../policy/scope.js';
import { type AggregateRow, type LedgerStore, type Totals, addTotals, emptyTotals } from '../storage/ports.js';
import { sortByCost } from './report.js';

/** Groups a breakdown lists; the rest are counted. */
export const MAX_GROUPS = 10;
/** What a scope's spend is broken down by. */
export const BREAKDOWN: readonly Dimension[] = ['user', 'model', 'tag:workflow', 'session'];

/** One dimension's most expensive groups, and how many more there were. */
export interface Breakdown {
  dimension: Dimension;
  rows: AggregateRow[];
  more: number;
}

export interface ScopeSpend {
  total: Totals;
  /** Per dimension of BREAKDOWN. */
  by: Breakdown[];
}

/**
 * Where a budget scope's spend went in [since, until): its requests grouped by each
 * dimension of BREAKDOWN, most expensive first. The scope (`team:platform`, `model:gpt-5*`, a
 * glob, `tag:workflow=nightly`, `org`) is read and matched as rules read it. Reads rollups, not rows.
 */
export async function scopeSpend(ledger: LedgerStore, scope: string, since: number, until: number): Promise<ScopeSpend> {
  const filter = scopeFilter(scope);
  // The ledger groups by one tag at a time: a tag scope's own tag is its breakdown by that tag, another tag is left out.
  const dimensions = BREAKDOWN.filter((d) => !(filter?.dimension.startsWith('tag:') && d.startsWith('tag:') && d !== filter.dimension));
  const grouped = await Promise.all(dimensions.map(async (dimension) => ({ dimension, all: await groupsWhere(ledger, filter, dimension, since, until) })));
  return { total: totalOf(grouped[0]!.all), by: grouped.map(({ dimension, all }) => topGroups(dimension, all, MAX_GROUPS)) };
}

/**
 * One dimension's groups in [since, until), most expensive first, of the requests whose `filter`
 * dimension matches (all of them without one): read beside that dimension, kept for its value.
 */
export async function groupsWhere(ledger: LedgerStore, filter: ScopeFilter | undefined, dimension: Dimension, since: number, until: number): Promise<AggregateRow[]> {
  const by: Dimension[] = !filter ? [dimension] : filter.dimension === dimension ? [dimension] : [filter.dimension, dimension];
  const rows = await ledger.aggregate({ since, until, by });
  const kept = !filter ? rows : rows.filter((r) => filter.matches(r.keys[0]!)).map((r) => (by.length === 1 ? r : { ...r, keys: r.keys.slice(1) }));
  return sortByCost(merge(kept));
}

/** The whole of one dimension's groups: every request is in exactly one of them. */
export function totalOf(groups: readonly AggregateRow[]): Totals {
  const total = emptyTotals();
  for (const r of groups) addTotals(total, r);
  return total;
}

/** The first `max` of groups sorted by cost, and how many more there were. */
export function topGroups(dimension: Dimension, sorted: AggregateRow[], max: number): Breakdown {
  return { dimension, rows: sorted.slice(0, max), more: Math.max(0, sorted.length - max) };
}

/** Rows that share their keys once the scope's column is gone (a model glob's several models) summed as one. */
function merge(rows: AggregateRow[]): AggregateRow[] {
  const out = new Map<string, AggregateRow>();
  for (const r of rows) {
    const k = r.keys.join('\u0000');
    const have = out.get(k);
    if (have) addTotals(have, r);
    else out.set(k, { ...r, keys: [...r.keys] });
  }
  return [...out.values()];
}

export interface ScopeFilter {
  dimension: Dimension;
  matches: (value: string) => boolean;
}

const KIND_DIMENSION: Readonly<Record<Exclude<ScopeKind, 'org' | 'tag'>, Dimension>> = { user: 'user', team: 'team', project: 'project', key: 'key', provider: 'provider', model: 'model' };

/** How to tell the scope's rows in a grouping (the rules' own matching), or undefined for the whole organisation or a scope that does not read. */
export function scopeFilter(text: string): ScopeFilter | undefined {
  let scope: Scope;
  try {
    scope = parseScope(text);
  } catch {
    return undefined;
  }
  if (scope.kind === 'org') return undefined;
  const tag = scope.kind === 'tag' ? scope.value.slice(0, scope.value.indexOf('=')) : '';
  const dimension: Dimension = scope.kind === 'tag' ? `tag:${tag}` : KIND_DIMENSION[scope.kind];
  return { dimension, matches: (v) => scopeMatches(scope, subjectWith(scope.kind, tag, v)) };
}

/** A request that is known only by one attribute: the one the scope reads. */
function subjectWith(kind: ScopeKind, tag: string, value: string): Subject {
  const s: Subject = { keyId: null, user: null, team: null, project: null, tags: {}, model: '', provider: '' };
  if (kind === 'key') s.keyId = value;
  else if (kind === 'user' || kind === 'team' || kind === 'project' || kind === 'model' || kind === 'provider') s[kind] = value;
  else if (kind === 'tag') s.tags = { [tag]: value };
  return s;
}
