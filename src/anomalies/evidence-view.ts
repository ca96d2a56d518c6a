import type { EvidenceSpec } from '../alerts/evidence-link.js';
import type { Dimension, LedgerRow } from '../core/ledger-row.js';
import { type Explanation, type GroupFilter, explain } from '../explain/explain.js';
import type { RateBook } from '../pricing/unit-rates.js';
import { orderRows } from '../reports/report.js';
import { type AggregateRow, type LedgerStore, type Totals, addTotals, emptyTotals } from '../storage/ports.js';

/** Rows of the traffic table a page shows; the rest are counted. */
export const MAX_TRAFFIC_ROWS = 100;
const DAY_MS = 86_400_000;

/** Everything an anomaly's evidence page shows, read from the ledger. */
export interface EvidenceView {
  spec: EvidenceSpec;
  traffic: {
    by: Dimension[];
    /** The subject's rows alone when its dimension is among `by`. */
    subjectOnly: boolean;
    rows: AggregateRow[];
    /** Rows left out past MAX_TRAFFIC_ROWS. */
    more: number;
    total: Totals;
  };
  /** The subject's spend in the window against the same stretch a day earlier, where `explain` can single the subject out (a user, team, workflow, model or client). */
  change: Explanation | undefined;
  /** The example requests' rows, in the link's order; ids the ledger does not hold are in `missing`. */
  requests: LedgerRow[];
  missing: string[];
}

/** Subject kinds ("user:alice") and the report dimension that holds their value. */
const SUBJECT_DIMENSIONS = new Map<string, Dimension>([
  ['user', 'user'],
  ['team', 'team'],
  ['workflow', 'tag:workflow'],
  ['model', 'model'],
  ['session', 'session'],
  ['key', 'key'],
  ['client', 'client'],
]);
/** The subject kinds `explain` can single out, so that it tells the subject's own change. */
const EXPLAIN_FIELDS = new Map<string, GroupFilter['field']>([
  ['user', 'user'],
  ['team', 'team'],
  ['workflow', 'workflow'],
  ['model', 'model'],
  ['client', 'client'],
]);

export async function evidenceView(ledger: LedgerStore, spec: EvidenceSpec, rates: RateBook, now: number): Promise<EvidenceView> {
  const [traffic, change, found] = await Promise.all([trafficOf(ledger, spec), changeOf(ledger, spec, rates, now), Promise.all(spec.requestIds.map((id) => ledger.get(id)))]);
  const requests = found.filter((r): r is LedgerRow => r !== undefined);
  return { spec, traffic, change, requests, missing: spec.requestIds.filter((_, i) => found[i] === undefined) };
}

/** "user:alice" → the user dimension and "alice"; subjects of another form are not singled out. */
function subjectParts(subject: string): { kind: string; value: string } | undefined {
  const i = subject.indexOf(':');
  return i > 0 ? { kind: subject.slice(0, i), value: subject.slice(i + 1) } : undefined;
}

async function trafficOf(ledger: LedgerStore, spec: EvidenceSpec): Promise<EvidenceView['traffic']> {
  const { since, until, by } = spec.report;
  const parts = subjectParts(spec.subject);
  const dimension = parts && SUBJECT_DIMENSIONS.get(parts.kind);
  const column = dimension ? by.indexOf(dimension) : -1;
  const subjectOnly = parts !== undefined && column >= 0;
  let rows = await ledger.aggregate({ since, until, by });
  if (subjectOnly) rows = rows.filter((r) => r.keys[column] === parts.value);
  rows = orderRows(rows, by);
  const total = emptyTotals();
  for (const r of rows) addTotals(total, r);
  return { by, subjectOnly, rows: rows.slice(0, MAX_TRAFFIC_ROWS), more: Math.max(0, rows.length - MAX_TRAFFIC_ROWS), total };
}

async function changeOf(ledger: LedgerStore, spec: EvidenceSpec, rates: RateBook, now: number): Promise<Explanation | undefined> {
  const parts = subjectParts(spec.subject);
  const field = parts && EXPLAIN_FIELDS.get(parts.kind);
  if (!parts || !field || spec.windowEnd <= spec.windowStart) return undefined;
  // The same hours of an earlier day, far enough back not to overlap a window of a day or more.
  const days = Math.max(1, Math.ceil((spec.windowEnd - spec.windowStart) / DAY_MS));
  const back = days * DAY_MS;
  const from = { since: spec.windowStart - back, until: spec.windowEnd - back, label: days === 1 ? 'the same stretch a day earlier' : `the same stretch ${days} days earlier` };
  const to = { since: spec.windowStart, until: spec.windowEnd, label: 'the alert window' };
  return explain(ledger, from, to, rates, now, { field, value: parts.value });
}
