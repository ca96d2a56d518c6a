import type { LedgerRow } from '../core/ledger-row.js';

/**
 * A request seen by two sources (the gateway, a Claude Code log import, Claude Code's
 * telemetry, a GenAI span) counts once: a row is dropped when another source already
 * recorded the same provider request id. How the stored rows are searched depends on
 * who recorded them, so that the gateway's own inserts never maintain an index of
 * random ids (a page write per row on a large ledger):
 *
 * - rows of other sources are found by id alone, through an index that holds only them;
 * - gateway rows are found by the session and a time window around the row's own time,
 *   through the (session_id, ts) index the ledger keeps anyway. A log line or a telemetry
 *   event of a call is stamped within the call's duration of the gateway's arrival time.
 */
export const GATEWAY_SOURCE = 'gateway';

/** How far apart a gateway row and another source's record of the same call can be stamped, with a session. */
export const SESSION_WINDOW_MS = 15 * 60_000;

/** The same without a session (a GenAI span is stamped at the call's start, as the gateway is). */
export const SESSIONLESS_WINDOW_MS = 2 * 60_000;

/** One row to look up: its index in the batch and what identifies its call. */
export interface Probe {
  i: number;
  upstreamId: string;
  source: string;
  sessionId: string | null;
  ts: number;
}

/** Sessionless rows of other sources, close in time: one range of gateway rows to read for all of them. */
export interface SessionlessRange {
  from: number;
  to: number;
  ids: string[];
  probes: Probe[];
}

/** Whether any stored row of another source has an id (same SQL for both stores; a seek in the partial index). */
export const OTHERS_STORED_SQL = `SELECT EXISTS (SELECT 1 FROM requests WHERE upstream_request_id IS NOT NULL AND source <> '${GATEWAY_SOURCE}') AS e`;

/** A gateway row can only repeat another source's row, and a ledger of gateway traffic alone has none: its probes go. */
export function probesToRun(probes: readonly Probe[], othersStored: () => boolean): Probe[] {
  if (!probes.some((p) => p.source === GATEWAY_SOURCE) || othersStored()) return [...probes];
  return probes.filter((p) => p.source !== GATEWAY_SOURCE);
}

/** The rows of a batch that carry a provider request id, as probes. */
export function probesOf(rows: readonly LedgerRow[]): Probe[] {
  const out: Probe[] = [];
  rows.forEach((r, i) => {
    if (r.upstreamRequestId !== null) out.push({ i, upstreamId: r.upstreamRequestId, source: r.source, sessionId: r.sessionId, ts: r.ts });
  });
  return out;
}

/**
 * Sessionless probes of other sources grouped into ranges of gateway rows to read: a new
 * range starts where the next probe's window does not overlap the current one, so a batch
 * that spans months reads only the times it covers.
 */
export function sessionlessRanges(probes: readonly Probe[]): SessionlessRange[] {
  const sorted = probes.filter((p) => p.sessionId === null && p.source !== GATEWAY_SOURCE).sort((a, b) => a.ts - b.ts);
  const out: SessionlessRange[] = [];
  let cur: SessionlessRange | undefined;
  for (const p of sorted) {
    const from = p.ts - SESSIONLESS_WINDOW_MS;
    if (!cur || from > cur.to) out.push((cur = { from, to: p.ts + SESSIONLESS_WINDOW_MS, ids: [], probes: [] }));
    cur.to = p.ts + SESSIONLESS_WINDOW_MS;
    cur.ids.push(p.upstreamId);
    cur.probes.push(p);
  }
  return out;
}

/** The probes of a range that a gateway row read back from it (`found`: its id and time) repeats. */
export function repeatedInRange(range: SessionlessRange, found: readonly { u: string; ts: number }[]): Probe[] {
  const at = new Map<string, number[]>();
  for (const f of found) at.set(f.u, [...(at.get(f.u) ?? []), Number(f.ts)]);
  return range.probes.filter((p) => (at.get(p.upstreamId) ?? []).some((t) => Math.abs(t - p.ts) <= SESSIONLESS_WINDOW_MS));
}

/**
 * A predicate telling whether a row repeats a request already recorded by another source:
 * `stored` holds the batch indexes the store found repeated; within the batch, the same
 * id from another source earlier in it. Rows it accepts are remembered for the rest of the batch.
 */
export function crossSourceCheck(rows: readonly LedgerRow[], stored: ReadonlySet<number>): (r: LedgerRow) => boolean {
  const index = new Map<LedgerRow, number>();
  rows.forEach((r, i) => index.set(r, i));
  const batch = new Map<string, string>();
  return (r) => {
    const up = r.upstreamRequestId;
    if (up === null) return false;
    const before = batch.get(up);
    if (before !== undefined ? before !== r.source : stored.has(index.get(r) ?? -1)) return true;
    batch.set(up, r.source);
    return false;
  };
}
