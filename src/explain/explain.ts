import { countText, spanText } from '../core/count-text.js';
import { type Picos, formatUsd, roundingNote, signedUsd, usdColumn } from '../core/money.js';
import type { RateBook } from '../pricing/unit-rates.js';
import { CLIENT_VERSION_TAG, type Dimension } from '../core/ledger-row.js';
import type { AggregateRow, LedgerStore, Totals } from '../storage/ports.js';
import { type Decomposition, type SpendGroup, decompose } from './decompose.js';
import { type ReleaseMove, type VersionSpend, releaseMoveText, releaseMoves, releaseMovesJson } from './releases.js';
import type { Window } from './windows.js';
import { costCell, costUnknown, costUsd } from '../reports/report.js';

export interface Explanation extends Decomposition {
  from: Window;
  to: Window;
  /** The one user, team… whose spend it is; the whole organisation's when absent. */
  only: GroupFilter | undefined;
  /** Each window's requests, and how many of them had no price (their cost is in neither amount). */
  fromRequests: RequestCount;
  toRequests: RequestCount;
  /** Clients that moved to a new release between the windows. */
  releases: ReleaseMove[];
  /** One readable paragraph: the change and its biggest drivers. */
  summary: string;
}

export type RequestCount = Pick<Totals, 'requests' | 'unpricedRequests'>;

/** One user, team, model, provider, client or workflow: the change of its spend alone. */
export interface GroupFilter {
  field: (typeof GROUP_FILTER_FIELDS)[number];
  value: string;
}

/** What `explain` can be narrowed to (`--user alice`, `?team=platform`), one at a time. */
export const GROUP_FILTER_FIELDS = ['user', 'team', 'model', 'provider', 'client', 'workflow'] as const;

/** The one narrowing asked for among `values` (field → value, unset when absent); a RangeError for two, or for an empty value. */
export function groupFilterOf(values: (field: GroupFilter['field']) => string | undefined): GroupFilter | undefined {
  const set = GROUP_FILTER_FIELDS.flatMap((field) => {
    const value = values(field);
    return value === undefined ? [] : [{ field, value }];
  });
  if (set.length > 1) throw new RangeError(`narrow to one of ${GROUP_FILTER_FIELDS.join(', ')} at a time, not ${set.map((f) => f.field).join(' and ')}`);
  if (set[0]?.value.trim() === '') throw new RangeError(`${set[0].field} needs a value`);
  return set[0];
}

/**
 * Why spend changed between two windows: reads both windows grouped by model, provider,
 * user, client and workflow (from rollups; the long requests and those billed at a service
 * tier from raw rows), and decomposes the change exactly. Reference prices are today's, from
 * the config's prices (so a catalog or discount change shows as "price changes", a shift
 * between service tiers as "service tier mix").
 */
export async function explain(ledger: LedgerStore, from: Window, to: Window, rates: RateBook, now: number = Date.now(), only?: GroupFilter): Promise<Explanation> {
  const [a, b, va, vb] = await Promise.all([groups(ledger, from, only), groups(ledger, to, only), versions(ledger, from, only), versions(ledger, to, only)]);
  const d = decompose(a.groups, b.groups, rates, now);
  const counts = { fromRequests: a.count, toRequests: b.count };
  const releases = releaseMoves(va, vb);
  const moved = releases.slice(0, 2).map((m) => ` ${releaseMoveText(m, to.label)}`).join('');
  return { ...d, from, to, only, ...counts, releases, summary: summarise({ ...d, ...counts }, from, to, only) + moved };
}

/**
 * Each client version's served requests in the window: the rollups of the client_version tag,
 * narrowed as the groups are; for a workflow (a second tag, which no rollup holds beside it),
 * the window's raw rows.
 */
async function versions(ledger: LedgerStore, w: Window, only: GroupFilter | undefined): Promise<VersionSpend[]> {
  if (only?.field === 'workflow') {
    const uses = await ledger.releaseCacheUse(w, { tag: 'workflow', value: only.value });
    return uses.map((u) => ({ client: u.client, version: u.version, requests: servedRequests(u), inputTokens: u.inputTokens, cacheReadTokens: u.cacheReadTokens, costPicos: u.costPicos }));
  }
  const extra = only !== undefined && only.field !== 'client';
  const by: Dimension[] = ['client', `tag:${CLIENT_VERSION_TAG}`, ...(extra ? [only.field] : [])];
  const rows = await ledger.aggregate({ since: w.since, until: w.until, by });
  return rows
    .filter((r) => !only || r.keys[extra ? 2 : 0] === only.value)
    .map((r) => ({ client: r.keys[0]!, version: r.keys[1]!, requests: servedRequests(r), inputTokens: r.inputTokens, cacheReadTokens: r.cacheReadTokens, costPicos: r.costPicos }));
}

const GROUP_BY: readonly Dimension[] = ['model', 'provider', 'user', 'client', 'tag:workflow'];
const GROUP_FIELDS: readonly GroupFilter['field'][] = ['model', 'provider', 'user', 'client', 'workflow'];

async function groups(ledger: LedgerStore, w: Window, only: GroupFilter | undefined): Promise<{ groups: SpendGroup[]; count: RequestCount }> {
  // A team is not among the groups: read with it, kept for the filter only.
  const column = only === undefined ? -1 : only.field === 'team' ? GROUP_BY.length : GROUP_FIELDS.indexOf(only.field);
  const by = only?.field === 'team' ? [...GROUP_BY, 'team' as const] : GROUP_BY;
  const kept = (keys: readonly string[]) => column < 0 || keys[column] === only!.value;
  const window = { since: w.since, until: w.until };
  const [rows, longs, tiered] = await Promise.all([ledger.aggregate({ ...window, by }), ledger.longRequests(window), ledger.tieredRequests(window)]);
  const long = byGroup(longs.filter((x) => kept(x.keys)));
  const tiers = byGroup(tiered.filter((x) => kept(x.keys)));
  const count: RequestCount = { requests: 0, unpricedRequests: 0 };
  const spend = rows.filter((r) => kept(r.keys)).flatMap((r) => {
    count.requests += r.requests;
    count.unpricedRequests += r.unpricedRequests;
    const requests = servedRequests(r);
    // A group with no known price has no known spend: counted as $0 requests, it would read as more
    // requests and a model mix away from the priced ones, offsetting each other. The summary counts it.
    if (requests === 0 || (r.unpricedRequests >= r.requests && r.costPicos === 0n)) return [];
    const [model, provider, user, client, workflow] = r.keys as [string, string, string, string, string];
    const { inputTokens, cacheReadTokens, cacheWriteTokens, cacheWrite1hTokens, outputTokens, costPicos } = r;
    const id = [model, provider, user, client, workflow].join('\u0000');
    return [{ model, provider, user, client, workflow, requests, inputTokens, cacheReadTokens, cacheWriteTokens, cacheWrite1hTokens, outputTokens, costPicos, long: long.get(id) ?? [], tiers: tiers.get(id) ?? [] }];
  });
  return { groups: spend, count };
}

/** Raw reads keyed like the groups (model, provider, user, client, workflow); the team is the sixth key of both. */
function byGroup<T extends { keys: string[] }>(items: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of items) {
    const id = x.keys.slice(0, GROUP_BY.length).join('\u0000');
    (out.get(id) ?? out.set(id, []).get(id)!).push(x);
  }
  return out;
}

/**
 * The requests that count as traffic: those answered (ok, or left by their client). Refused and
 * failed ones that cost nothing (a burst of 401s after a key rotation, 429s, budget refusals)
 * would otherwise read as more requests, a model mix, or tokens per request; where failures
 * carry cost or tokens (streams cut short), every request counts, so that the parts still add up.
 */
function servedRequests(r: Pick<AggregateRow, 'requests' | 'errors' | 'costPicos' | 'inputTokens' | 'outputTokens'>): number {
  const served = r.requests - r.errors;
  if (served > 0) return served;
  const free = r.costPicos === 0n && r.inputTokens === 0 && r.outputTokens === 0;
  return free ? 0 : r.requests;
}

/**
 * One scale for every amount of an explanation, paragraph and table alike: "$0.01" beside
 * "-$0.00225" read as a contradiction.
 */
export function explanationUsd(d: Pick<Decomposition, 'fromPicos' | 'toPicos' | 'drivers'>): { usd: (p: Picos) => string; signed: (p: Picos) => string } {
  const usd = usdColumn(explanationAmounts(d));
  return { usd, signed: (p) => signedUsd(p, usd) };
}

function explanationAmounts(d: Pick<Decomposition, 'fromPicos' | 'toPicos' | 'drivers'>): Picos[] {
  return [d.fromPicos, d.toPicos, d.toPicos - d.fromPicos, ...d.drivers.map((x) => x.deltaPicos)];
}

/**
 * The table's rows: the drivers that moved spend, then the total. Drivers at exactly $0 are
 * left out ("+$0.00 none" says nothing) and named once beneath, so that a reader can still see
 * they were weighed; the JSON keeps every driver. `notes` holds that line and, when the drivers
 * as shown do not add up to the change shown, the rounding line the reports print.
 */
export function explanationTable(e: Pick<Decomposition, 'fromPicos' | 'toPicos' | 'drivers'> & Partial<Pick<Explanation, 'fromRequests' | 'toRequests'>>): { rows: string[][]; notes: string } {
  const { usd, signed } = explanationUsd(e);
  const rows = e.drivers.filter((d) => d.deltaPicos !== 0n).map((d) => [d.label, signed(d.deltaPicos), d.detail]);
  // A window none of whose requests had a price has no known amount, and then neither has the change.
  const amount = (c: RequestCount | undefined, costPicos: Picos) => (c ? costCell({ ...c, costPicos }, usd) : usd(costPicos));
  const unknown = [e.fromRequests, e.toRequests].some((c) => c !== undefined && costUnknown(c));
  rows.push(['total change', unknown ? 'unknown' : signed(e.toPicos - e.fromPicos), `${amount(e.fromRequests, e.fromPicos)} → ${amount(e.toRequests, e.toPicos)}`]);
  const still = e.drivers.filter((d) => d.deltaPicos === 0n).map((d) => d.label);
  // The drivers add up exactly to the change; rounded one by one, as shown, they may not.
  const rounded = unknown ? undefined : roundingNote(e.drivers.map((d) => d.deltaPicos), e.toPicos - e.fromPicos, explanationAmounts(e));
  const notes = (still.length === 0 ? '' : `No part of the change came from: ${still.join('; ')}.\n`) + (rounded ? `${rounded} --format json gives exact amounts.\n` : '');
  return { rows, notes };
}

function summarise(d: Decomposition & Pick<Explanation, 'fromRequests' | 'toRequests'>, from: Window, to: Window, only: GroupFilter | undefined): string {
  const { usd, signed } = explanationUsd(d);
  const whose = only ? `${capitalised(only.field)} ${only.value}'s spend` : 'Spend';
  const [a, b] = [d.fromRequests, d.toRequests];
  // Neither window has a priced request: two unknown amounts (or none and an unknown one) are no change of $0.
  if (a.requests === a.unpricedRequests && b.requests === b.unpricedRequests && a.unpricedRequests + b.unpricedRequests > 0) {
    return `${whose} is unknown: none of its requests had a known price (${countText(a.requests)} in ${from.label}, ${countText(b.requests)} in ${to.label}), so its change cannot be told. ${PRICE_HINT}`;
  }
  const unpriced = a.unpricedRequests + b.unpricedRequests;
  const left = unpriced === 0 ? '' : ` ${countText(unpriced)} ${unpriced === 1 ? 'request of a model' : 'requests of models'} without a known price (${countText(a.unpricedRequests)} in ${from.label}, ${countText(b.unpricedRequests)} in ${to.label}) ${unpriced === 1 ? 'is' : 'are'} not in these amounts.`;
  const change = d.toPicos - d.fromPicos;
  const pct = d.fromPicos > 0n ? ` (${change >= 0n ? '+' : ''}${((Number(change) / Number(d.fromPicos)) * 100).toFixed(1)}%)` : '';
  const verb = change > 0n ? 'rose' : change < 0n ? 'fell' : 'held';
  const head = `${whose} ${verb} from ${usd(d.fromPicos)} in ${from.label} to ${usd(d.toPicos)} in ${to.label}${change === 0n ? '' : `, ${signed(change)}${pct}`}.`;
  const moving = d.drivers.filter((x) => x.deltaPicos !== 0n);
  if (moving.length === 0) return `${head} Nothing moved.${left}`;
  const [first, ...rest] = moving;
  const lead = ` The biggest driver was ${first!.label} (${signed(first!.deltaPicos)}: ${first!.detail})`;
  const next = rest.slice(0, 2).map((x) => `${x.label} (${signed(x.deltaPicos)})`);
  const [lengthA, lengthB] = [from.until - from.since, to.until - to.since];
  // Whole totals of windows of different lengths compare rates as much as spend.
  const lengths = Math.abs(lengthB - lengthA) > 0.02 * Math.max(lengthA, lengthB) ? ` Note: the windows differ in length (${spanText(lengthA)} against ${spanText(lengthB)}).` : '';
  return `${head}${lead}${next.length ? `, then ${next.join(' and ')}` : ''}. The parts in the table add up exactly to the change.${lengths}${left}`;
}

const PRICE_HINT = 'Add a pricing override (pricing.overrides in the config; docs/pricing.md).';

/** The explanation as JSON (CLI --format json and the admin API). */
export function explanationJson(e: Explanation) {
  const win = (w: Window) => ({ label: w.label, since: new Date(w.since).toISOString(), until: new Date(w.until).toISOString() });
  return {
    // null where none of the window's requests had a price (docs/anomalies.md#explain-tollgate-explain).
    from: { ...win(e.from), cost_usd: costUsd({ ...e.fromRequests, costPicos: e.fromPicos }), unpriced_requests: e.fromRequests.unpricedRequests },
    to: { ...win(e.to), cost_usd: costUsd({ ...e.toRequests, costPicos: e.toPicos }), unpriced_requests: e.toRequests.unpricedRequests },
    change_usd: costUnknown(e.fromRequests) || costUnknown(e.toRequests) ? null : formatUsd(e.toPicos - e.fromPicos),
    only: e.only ?? null,
    summary: e.summary,
    drivers: e.drivers.map((d) => ({ driver: d.id, label: d.label, change_usd: formatUsd(d.deltaPicos), detail: d.detail })),
    rounding: { picos: e.roundingPicos.toString(), assigned_to: e.roundedInto ?? null },
    client_releases: releaseMovesJson(e.releases),
  };
}

function capitalised(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
