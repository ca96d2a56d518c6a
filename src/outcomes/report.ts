import { type Dimension, isDimension } from '../core/ledger-row.js';
import { type Picos, roundHalfUp } from '../core/money.js';
import { costUnknown } from '../reports/report.js';
import type { AggregateRow, LedgerStore, OutcomeStore, Totals } from '../storage/ports.js';
import type { OutcomeEvent } from './outcome.js';

/** What an outcome report groups by: a report's dimensions but time (an outcome is credited to one group, not spread along a calendar). */
export const OUTCOME_DIMENSIONS = 'user, team, project, session, key, client, model, provider, api, pool or tag:NAME';

export function isOutcomeDimension(by: string): by is Dimension {
  return isDimension(by) && by !== 'day' && by !== 'hour';
}

export interface OutcomeReportQuery {
  since?: number;
  until?: number;
  /** One ledger dimension: user, team, project, session, a tag:NAME, … */
  by: Dimension;
  /** Only outcomes of this kind (all kinds when absent). */
  kind?: string;
}

export interface OutcomeReportRow {
  /** The group's value ('' for spend or outcomes that name none). */
  key: string;
  requests: number;
  /** Of those, requests with no price: their cost is not in the spend (unknown when all are). */
  unpricedRequests: number;
  /** All the group's spend in the window (its priced requests'). */
  spendPicos: Picos;
  /** Outcomes credited to the group, in millionths. */
  outcomeMicros: bigint;
  /** spend ÷ outcomes; null without outcomes, or when none of the group's requests had a price. */
  costPerOutcomePicos: Picos | null;
  /** The requests of the sessions the group's outcomes name, and how many of them had no price. */
  sessionRequests: number;
  sessionUnpricedRequests: number;
  /** The spend of the sessions the group's outcomes name. */
  sessionSpendPicos: Picos;
  /** Outcomes (millionths) that name a session. */
  sessionOutcomeMicros: bigint;
  /** session spend ÷ outcomes naming a session; null without any, or when none of those sessions' requests had a price. */
  sessionCostPerOutcomePicos: Picos | null;
}

export interface OutcomeReport {
  query: OutcomeReportQuery;
  rows: OutcomeReportRow[];
  total: OutcomeReportRow;
}

/**
 * Cost per outcome next to raw spend. The attribution rule:
 * - An outcome counts in the window its `ts` falls in, with its `value` (default 1).
 * - It is credited to one group of the report's dimension: directly when it names that
 *   dimension (its session for `--by session`, its user for `--by user`, its tag for
 *   `--by tag:NAME`); otherwise to the group that spent the most in the window in what it
 *   names, tried in order: its session, its user, its tag. An outcome that names nothing
 *   found in the ledger is credited to no group ('').
 * - cost per outcome = the group's whole spend in the window ÷ its outcomes: the honest
 *   price of the work, exploration and dead ends included.
 * - session cost per outcome = the spend of the distinct sessions named by the group's
 *   outcomes ÷ those outcomes: the direct cost of the sessions that produced them.
 */
export async function outcomeReport(ledger: LedgerStore, outcomes: OutcomeStore, q: OutcomeReportQuery): Promise<OutcomeReport> {
  const window = { since: q.since, until: q.until };
  const spend = await ledger.aggregate({ ...window, by: [q.by], costOnly: true, countUnpriced: true });
  const events = await outcomes.list({ ...window, kind: q.kind });
  const needed = new Map<string, Promise<AggregateRow[]>>();
  const pairs = (anchor: Dimension) => {
    let p = needed.get(anchor);
    if (!p) needed.set(anchor, (p = ledger.aggregate({ ...window, by: [anchor, q.by], costOnly: true })));
    return p;
  };
  const sessionSpend = new Map((await (q.by === 'session' ? Promise.resolve(spend) : ledger.aggregate({ ...window, by: ['session'], costOnly: true, countUnpriced: true }))).map((r) => [r.keys[0]!, r]));

  const rows = new Map<string, OutcomeReportRow>();
  const row = (key: string) => {
    let r = rows.get(key);
    if (!r) rows.set(key, (r = emptyRow(key)));
    return r;
  };
  for (const s of spend) {
    const r = row(s.keys[0] ?? '');
    r.requests += s.requests;
    r.unpricedRequests += s.unpricedRequests;
    r.spendPicos += s.costPicos;
  }
  const sessionsOf = new Map<string, Set<string>>();
  for (const o of events) {
    const key = await creditedTo(o, q.by, pairs);
    const r = row(key);
    r.outcomeMicros += o.valueMicros;
    if (o.sessionId !== null) {
      r.sessionOutcomeMicros += o.valueMicros;
      const set = sessionsOf.get(key) ?? new Set<string>();
      set.add(o.sessionId);
      sessionsOf.set(key, set);
    }
  }
  for (const [key, sessions] of sessionsOf) for (const s of sessions) addSession(row(key), sessionSpend.get(s));

  const total = emptyRow('');
  const all = [...rows.values()];
  const allSessions = new Set([...sessionsOf.values()].flatMap((s) => [...s]));
  for (const r of all) {
    total.requests += r.requests;
    total.unpricedRequests += r.unpricedRequests;
    total.spendPicos += r.spendPicos;
    total.outcomeMicros += r.outcomeMicros;
    total.sessionOutcomeMicros += r.sessionOutcomeMicros;
    // Outcomes credited to no group are not the price of the spend that has no group either.
    if (r.key !== '') finish(r);
  }
  for (const s of allSessions) addSession(total, sessionSpend.get(s));
  finish(total);
  all.sort((a, b) => (b.spendPicos > a.spendPicos ? 1 : b.spendPicos < a.spendPicos ? -1 : b.outcomeMicros > a.outcomeMicros ? 1 : b.outcomeMicros < a.outcomeMicros ? -1 : a.key < b.key ? -1 : 1));
  return { query: q, rows: all, total };
}

/**
 * More spend, then more requests, then the lower key: storage returns groups in no set order
 * (Postgres hashes them), so a tie must not go to whichever came first.
 */
function outranks(r: AggregateRow, best: AggregateRow): boolean {
  if (r.costPicos !== best.costPicos) return r.costPicos > best.costPicos;
  if (r.requests !== best.requests) return r.requests > best.requests;
  return r.keys[1]! < best.keys[1]!;
}

async function creditedTo(o: OutcomeEvent, by: Dimension, pairs: (anchor: Dimension) => Promise<AggregateRow[]>): Promise<string> {
  if (by === 'session' && o.sessionId !== null) return o.sessionId;
  if (by === 'user' && o.user !== null) return o.user;
  if (o.tag !== null && by === `tag:${o.tag.key}`) return o.tag.value;
  const anchors: [Dimension, string][] = [];
  if (o.sessionId !== null) anchors.push(['session', o.sessionId]);
  if (o.user !== null) anchors.push(['user', o.user]);
  if (o.tag !== null) anchors.push([`tag:${o.tag.key}`, o.tag.value]);
  for (const [dim, value] of anchors) {
    // A report groups by at most one tag at a time.
    if (dim.startsWith('tag:') && by.startsWith('tag:')) continue;
    let best: AggregateRow | undefined;
    for (const r of await pairs(dim)) {
      if (r.keys[0] !== value || r.keys[1] === '') continue;
      if (!best || outranks(r, best)) best = r;
    }
    if (best) return best.keys[1]!;
  }
  return '';
}

function emptyRow(key: string): OutcomeReportRow {
  return { key, requests: 0, unpricedRequests: 0, spendPicos: 0n, outcomeMicros: 0n, costPerOutcomePicos: null, sessionRequests: 0, sessionUnpricedRequests: 0, sessionSpendPicos: 0n, sessionOutcomeMicros: 0n, sessionCostPerOutcomePicos: null };
}

function addSession(r: OutcomeReportRow, s: AggregateRow | undefined): void {
  if (!s) return;
  r.sessionRequests += s.requests;
  r.sessionUnpricedRequests += s.unpricedRequests;
  r.sessionSpendPicos += s.costPicos;
}

/** The group's spend as `report` counts a cost: its requests, how many had no price, and the priced part. */
export function spendOf(r: OutcomeReportRow): Pick<Totals, 'requests' | 'unpricedRequests' | 'costPicos'> {
  return { requests: r.requests, unpricedRequests: r.unpricedRequests, costPicos: r.spendPicos };
}

/** Likewise the spend of the sessions the group's outcomes name. */
export function sessionSpendOf(r: OutcomeReportRow): Pick<Totals, 'requests' | 'unpricedRequests' | 'costPicos'> {
  return { requests: r.sessionRequests, unpricedRequests: r.sessionUnpricedRequests, costPicos: r.sessionSpendPicos };
}

function finish(r: OutcomeReportRow): void {
  // A group with no request in the window (an outcome naming a user who spent nothing) has no price per outcome, not a price of $0;
  // nor has one none of whose requests had a price: its spend is unknown, and so is its price per outcome.
  r.costPerOutcomePicos = r.outcomeMicros > 0n && r.requests > 0 && !costUnknown(spendOf(r)) ? roundHalfUp(r.spendPicos * 1_000_000n, r.outcomeMicros) : null;
  r.sessionCostPerOutcomePicos = r.sessionOutcomeMicros > 0n && !costUnknown(sessionSpendOf(r)) ? roundHalfUp(r.sessionSpendPicos * 1_000_000n, r.sessionOutcomeMicros) : null;
}
