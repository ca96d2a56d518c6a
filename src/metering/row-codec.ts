import type { AttemptRow, LedgerRow } from '../core/ledger-row.js';

/** One ledger row as one JSON line (the spool's format). Money travels as a string: JSON numbers are doubles. */
export function encodeRow(row: LedgerRow): string {
  // JSON cannot hold a bigint. Measured: swapping the one field in a spread copy beats a
  // replacer (which runs per key) by about 2x.
  const cost = row.costPicos === null ? null : row.costPicos.toString();
  const saving = row.routeSavingPicos === null ? null : row.routeSavingPicos.toString();
  if (row.attemptLog === undefined) return JSON.stringify({ ...row, costPicos: cost, routeSavingPicos: saving }) + '\n';
  return JSON.stringify({ ...row, costPicos: cost, routeSavingPicos: saving, attemptLog: row.attemptLog.map((a) => ({ ...a, costPicos: a.costPicos === null ? null : a.costPicos.toString() })) }) + '\n';
}

type WithCost<T> = Omit<T, 'costPicos'> & { costPicos: string | null };

type Encoded = Omit<LedgerRow, 'pool' | 'costPicos' | 'routeRule' | 'routeMode' | 'routeSavingPicos' | 'lastTurnHash' | 'attemptLog'> & {
  costPicos: string | null;
  pool?: string | null;
  lastTurnHash?: string | null;
  routeRule?: string | null;
  routeMode?: LedgerRow['routeMode'];
  routeSavingPicos?: string | null;
  attemptLog?: WithCost<AttemptRow>[];
};

/** Reads a spool line; fields added after a line was written (a spool replayed after an upgrade) read as null. */
export function decodeRow(line: string): LedgerRow {
  const raw = JSON.parse(line) as Encoded;
  const { attemptLog, ...rest } = raw;
  const row: LedgerRow = {
    ...rest,
    costPicos: raw.costPicos === null ? null : BigInt(raw.costPicos),
    pool: raw.pool ?? null,
    routeRule: raw.routeRule ?? null,
    routeMode: raw.routeMode ?? null,
    routeSavingPicos: raw.routeSavingPicos === null || raw.routeSavingPicos === undefined ? null : BigInt(raw.routeSavingPicos),
    lastTurnHash: raw.lastTurnHash ?? null,
  };
  if (attemptLog !== undefined) row.attemptLog = attemptLog.map((a) => ({ ...a, costPicos: a.costPicos === null ? null : BigInt(a.costPicos) }));
  return row;
}
