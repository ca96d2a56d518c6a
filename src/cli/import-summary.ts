// What `tollgate import` prints once it is done (agent logs): pure text, no I/O.
import { EARLIEST_TIME } from '../core/instant.js';

/** What a run read and wrote of one source (`sources.<source>` in `--json`). */
export interface SourceSummary {
  /** Responses read (rows added or replaced by this run). */
  rows: number;
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  costUsd: string;
  unpricedRows: number;
  /** Rows storage (or the server) wrote; absent in a dry run. */
  written?: number;
  /** With --push: `server`, the cost is the server's; `estimate`, an older server gave none. */
  pricedBy?: 'server' | 'estimate';
  /** Usage lines skipped for a time before 1970-01-01 (EARLIEST_TIME); absent when none. */
  skippedBefore1970?: number;
}

/** The summary of a log import (`--json` prints it as it is). */
export interface ImportSummary {
  filesSeen: number;
  filesRead: number;
  bytesRead: number;
  written: number;
  /** Rows storage (or the server) deleted because a row read in this run replaced them. */
  removed: number;
  sources: Record<string, SourceSummary>;
}

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * The lines printed after a log import: what was read, per source what it came to and how
 * much of it was written, and the total written (with `push`, to that URL). Local and pushed
 * runs say the same things in the same order; a push says whose prices the cost is at.
 */
export function summaryText(s: ImportSummary, o: { dryRun?: boolean; push?: string } = {}): string {
  if (s.filesRead === 0) return `Nothing new in ${count(s.filesSeen, 'log file')}.\n`;
  const lines = [`Read ${(s.bytesRead / 1048576).toFixed(1)} MB from ${s.filesRead} of ${count(s.filesSeen, 'log file')}${o.dryRun ? ' (dry run: nothing written)' : ''}.`];
  for (const [source, t] of Object.entries(s.sources)) lines.push(`  ${source}: ${sourceLine(t)}`);
  if (!o.dryRun) lines.push(`Wrote ${count(s.written, 'row')}${o.push ? ` to ${o.push}` : ''}${s.removed ? `, removed ${count(s.removed, 'replaced row')}` : ''}.`);
  return lines.join('\n') + '\n';
}

/** `12 responses, 2454 output tokens, $0.05`; when not all were written, `… read, …; 0 written (12 already recorded, …)`. */
function sourceLine(t: SourceSummary): string {
  // A row not written was in the ledger already, or is a request another source (the gateway) recorded.
  const skipped = t.written === undefined ? 0 : t.rows - t.written;
  const notes = [...(t.unpricedRows ? [`${t.unpricedRows} unpriced`] : []), ...(t.pricedBy === 'estimate' ? ['estimated here: the server prices the rows itself'] : [])];
  const cost = `$${t.costUsd}${t.pricedBy === 'server' ? ' as the server priced them' : ''}${notes.length ? ` (${notes.join('; ')})` : ''}`;
  const read = `${count(t.rows, 'response')}${skipped > 0 ? ' read' : ''}, ${count(t.outputTokens, 'output token')}, ${cost}`;
  const early = t.skippedBefore1970 ? `; ${tooEarlyText(t.skippedBefore1970)}` : '';
  return (skipped > 0 ? `${read}; ${t.written} written (${skipped} already recorded, by this import or another source)` : read) + early;
}

/** The refusal of lines dated before the ledger's earliest time, as both imports say it. */
export function tooEarlyText(lines: number): string {
  return `skipped ${count(lines, 'line')} dated before ${EARLIEST_TIME}, which the ledger does not hold (a clock that was not set?)`;
}
