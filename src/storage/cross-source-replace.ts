import { AGENT_ID_TAG, type LedgerRow } from '../core/ledger-row.js';
import { AGENT_THREAD_SOURCES, GATEWAY_SOURCE, SESSION_WINDOW_MS, type TimeRange, mergedRanges, usagePeerOf } from './cross-source.js';

/**
 * The other order of the usage rule (cross-source.ts, `usageProbesOf`): another source's row with no
 * provider id but a session (a Codex rollout's token count, a Codex telemetry event) stored before the
 * gateway's row of the same call (the gateway's row written late, a replica's batch committed later).
 * The gateway's row is the better record (attempts, the budget charged, prefix hashes), so it is
 * inserted and the other row it repeats is taken out in the same transaction, by the same rule:
 * same session (or, for a sub-agent's thread, the gateway row's `agent_id` tag), same input and
 * output counts, stamped within the session window, and no other response id than the gateway's;
 * each row standing for one call. Budgets: the removed row's spend was queued as a charge when it
 * was written (budget-charges.ts), so it is taken back in the same transaction, whoever writes.
 */

/**
 * Whether the ledger holds any row another source recorded without a provider id: only then can a
 * gateway row replace one. Two seeks at the start of `requests_upstream_other` (its predicate is
 * `source <> gateway`; both engines index the nulls), so a ledger of gateway traffic, or of sources
 * that carry ids, never reads a session for its gateway batches.
 */
export const IDLESS_OTHERS_STORED =
  `(EXISTS (SELECT 1 FROM requests WHERE upstream_request_id IS NULL AND source <> '${GATEWAY_SOURCE}') ` +
  `OR EXISTS (SELECT 1 FROM requests WHERE upstream_request_id = '' AND source <> '${GATEWAY_SOURCE}'))`;

export const IDLESS_OTHERS_STORED_SQL = `SELECT ${IDLESS_OTHERS_STORED} AS e`;

/** Whether a write adds such a row itself (then the lookup runs whatever the ledger held before it). */
export const addsIdlessOther = (rows: readonly LedgerRow[]): boolean => rows.some((r) => r.source !== GATEWAY_SOURCE && (r.upstreamRequestId === null || r.upstreamRequestId === ''));

/** A gateway row of a batch that may replace a stored row: its index, and the session it is looked up in. */
export interface ReplaceProbe {
  i: number;
  sessionId: string;
  ts: number;
  input: number;
  output: number;
  /** Looked up under its `agent_id` tag: only a Codex sub-agent's thread rows are matched there. */
  byAgent: boolean;
  /** Its response id, or null: a stored row naming another response is another call. */
  responseId: string | null;
}

const responseIdOf = (r: LedgerRow): string | null => (r.responseId === undefined || r.responseId === '' ? null : r.responseId);

/** The gateway rows of a batch that can repeat a stored row with no provider id: with a session, and tokens. */
export function replaceProbesOf(rows: readonly LedgerRow[]): ReplaceProbe[] {
  const out: ReplaceProbe[] = [];
  rows.forEach((r, i) => {
    if (r.source !== GATEWAY_SOURCE || r.inputTokens + r.outputTokens <= 0) return;
    const base = { i, ts: r.ts, input: r.inputTokens, output: r.outputTokens, responseId: responseIdOf(r) };
    if (r.sessionId !== null) out.push({ ...base, sessionId: r.sessionId, byAgent: false });
    const agent = r.tags[AGENT_ID_TAG];
    if (agent !== undefined && agent !== '' && agent !== r.sessionId) out.push({ ...base, sessionId: agent, byAgent: true });
  });
  return out;
}

/** A range of one session's rows to read, through the (session_id, ts) index. */
export interface ReplaceRange extends TimeRange<ReplaceProbe> {
  sessionId: string;
}

export function replaceRanges(probes: readonly ReplaceProbe[]): ReplaceRange[] {
  const groups = new Map<string, ReplaceProbe[]>();
  for (const p of probes) groups.set(p.sessionId, [...(groups.get(p.sessionId) ?? []), p]);
  return [...groups].flatMap(([sessionId, items]) => mergedRanges(items, SESSION_WINDOW_MS).map((r) => ({ ...r, sessionId })));
}

/**
 * The predicate of the partial index requests_idless_other (schema version 35): the reads below
 * repeat it term for term, so that both engines take the index.
 */
const IDLESS_OTHER = `source <> '${GATEWAY_SOURCE}' AND (upstream_request_id IS NULL OR upstream_request_id = '')`;

/**
 * Another source's id-less rows of a session in a window (parameters: session, from, to); what
 * `replacedRows` needs to match them is filtered there.
 */
export const REPLACEABLE_ROWS_SQL = `SELECT * FROM requests WHERE session_id = ? AND ts BETWEEN ? AND ? AND ${IDLESS_OTHER}`;

export const replaceableRowsParams = (r: ReplaceRange): [string, number, number] => [r.sessionId, r.from, r.to];

/**
 * The same rows for every range at once (parameters: the ranges' sessions, starts and ends as
 * arrays), for a server a round trip away: one query a batch, not one per session.
 */
export const REPLACEABLE_ROWS_ALL_SQL =
  'SELECT r.* FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS q(s, f, t) CROSS JOIN LATERAL ' +
  `(SELECT * FROM requests WHERE session_id = q.s AND ts BETWEEN q.f AND q.t AND ${IDLESS_OTHER}) r`;

export const replaceableRowsAllParams = (ranges: readonly ReplaceRange[]): [string[], number[], number[]] => [ranges.map((r) => r.sessionId), ranges.map((r) => r.from), ranges.map((r) => r.to)];

/** Whether a stored row of the probe's session (or thread) and counts may be its call (as `usageProbesOf` would take it). */
function replaceable(f: LedgerRow, p: ReplaceProbe): boolean {
  const id = responseIdOf(f);
  if (id !== null && p.responseId !== null) return id === p.responseId;
  if (p.byAgent) return AGENT_THREAD_SOURCES.has(f.source);
  // Another source's row with a response id is matched by that id (`responseLookups`), a Codex one by its counts too.
  return id === null || usagePeerOf(f.source) !== null;
}

/**
 * The stored rows the batch's gateway rows repeat (`found`: what the ranges read), each gateway row
 * taking one at most, the closest in time, rows of its own session before those of a thread. The
 * batch's own rows of other sources are among them when it holds both records of a call.
 */
export function replacedRows(probes: readonly ReplaceProbe[], found: readonly LedgerRow[]): LedgerRow[] {
  const byKey = new Map<string, LedgerRow[]>();
  const seen = new Set<string>();
  for (const f of found) {
    if (seen.has(f.id) || f.sessionId === null || f.inputTokens + f.outputTokens <= 0) continue;
    seen.add(f.id);
    const k = `${f.sessionId}\u0000${f.inputTokens}\u0000${f.outputTokens}`;
    byKey.set(k, [...(byKey.get(k) ?? []), f]);
  }
  const out: LedgerRow[] = [];
  const used = new Set<string>();
  const done = new Set<number>();
  for (const p of [...probes].sort((a, b) => Number(a.byAgent) - Number(b.byAgent))) {
    if (done.has(p.i)) continue;
    let best: LedgerRow | undefined;
    for (const f of byKey.get(`${p.sessionId}\u0000${p.input}\u0000${p.output}`) ?? []) {
      if (used.has(f.id) || !replaceable(f, p) || Math.abs(f.ts - p.ts) > SESSION_WINDOW_MS) continue;
      if (!best || Math.abs(f.ts - p.ts) < Math.abs(best.ts - p.ts)) best = f;
    }
    if (!best) continue;
    used.add(best.id);
    done.add(p.i);
    out.push(best);
  }
  return out;
}

/**
 * A write's rows after the replaced ones are taken out: `written` less those it wrote itself (both
 * records of a call in one batch: never counted), and `removed`, the stored ones, whose rollups and
 * budget charges are taken back.
 */
export function afterReplacing(written: readonly LedgerRow[], replaced: readonly LedgerRow[]): { kept: readonly LedgerRow[]; removed: LedgerRow[] } {
  if (replaced.length === 0) return { kept: written, removed: [] };
  const gone = new Set(replaced.map((r) => r.id));
  const own = new Set(written.map((r) => r.id));
  return { kept: written.filter((r) => !gone.has(r.id)), removed: replaced.filter((r) => !own.has(r.id)) };
}
