import type { AttemptRow, LedgerRow } from '../core/ledger-row.js';

/** One ledger row as one JSON line (the spool's format). Money travels as a string: JSON numbers are doubles. */
export function encodeRow(row: LedgerRow): string {
  // JSON cannot hold a bigint. Measured: swapping the one field in a spread copy beats a
  // replacer (which runs per key) by about 2x.
  const cost = row.costPicos === null ? null : row.costPicos.toString();
  if (row.attemptLog === undefined) return JSON.stringify({ ...row, costPicos: cost }) + '\n';
  return JSON.stringify({ ...row, costPicos: cost, attemptLog: row.attemptLog.map((a) => ({ ...a, costPicos: a.costPicos === null ? null : a.costPicos.toString() })) }) + '\n';
}

type Encoded<T> = Omit<T, 'costPicos'> & { costPicos: string | null };

/** Reads a spool line; lines written before rows had a `pool` (a spool replayed after an upgrade) get null. */
export function decodeRow(line: string): LedgerRow {
  const raw = JSON.parse(line) as Omit<Encoded<LedgerRow>, 'pool' | 'attemptLog'> & { pool?: string | null; attemptLog?: Encoded<AttemptRow>[] };
  const row: LedgerRow = { ...raw, costPicos: raw.costPicos === null ? null : BigInt(raw.costPicos), pool: raw.pool ?? null, attemptLog: undefined };
  if (raw.attemptLog !== undefined) row.attemptLog = raw.attemptLog.map((a) => ({ ...a, costPicos: a.costPicos === null ? null : BigInt(a.costPicos) }));
  else delete row.attemptLog;
  return row;
}
