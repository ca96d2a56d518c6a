import type { LedgerRow } from '../core/ledger-row.js';

/**
 * How far apart in time a row and the gateway's row of the same call may start: a span starts
 * just before the gateway sees the call; a log line may be written when a long answer ends;
 * and clocks differ. The lookup reads the rows of this window around each row, through the
 * ts index: `response_id` has no index of its own, since keeping one cost the gateway's every
 * insert about a third more CPU (bench/response-id.ts, docs/benchmarks.md).
 */
export const RESPONSE_WINDOW_MS = 10 * 60_000;

export const GATEWAY_SOURCE = 'gateway';

/** One lookup: the response ids of rows whose windows overlap, and the span of those windows. */
export interface ResponseLookup {
  from: number;
  to: number;
  ids: string[];
}

/** Whether a row is matched by its response id: one that is not the gateway's own and has one. */
export function looksUpResponse(r: LedgerRow): r is LedgerRow & { responseId: string } {
  return r.source !== GATEWAY_SOURCE && typeof r.responseId === 'string' && r.responseId !== '';
}

/**
 * The lookups a batch needs: its rows' windows, overlapping ones merged, so that a batch of
 * one hour's spans reads that hour once, and an import of old history reads only the hours it
 * has rows in. Gateway rows need none: the hot path never asks.
 */
export function responseLookups(rows: readonly LedgerRow[]): ResponseLookup[] {
  const asking = rows.filter(looksUpResponse).sort((a, b) => a.ts - b.ts);
  const out: ResponseLookup[] = [];
  for (const r of asking) {
    const last = out.at(-1);
    if (last !== undefined && r.ts - RESPONSE_WINDOW_MS <= last.to) {
      last.to = r.ts + RESPONSE_WINDOW_MS;
      last.ids.push(r.responseId);
    } else out.push({ from: r.ts - RESPONSE_WINDOW_MS, to: r.ts + RESPONSE_WINDOW_MS, ids: [r.responseId] });
  }
  return out;
}

/** The sources that recorded each response id, from the lookups' answers. */
export function sourcesById(found: Iterable<{ id: string; source: string }>): (responseId: string, source: string) => boolean {
  const by = new Map<string, Set<string>>();
  for (const f of found) {
    let s = by.get(f.id);
    if (!s) by.set(f.id, (s = new Set()));
    s.add(f.source);
  }
  return (id, source) => [...(by.get(id) ?? [])].some((s) => s !== source);
}
