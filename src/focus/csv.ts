import { formatUsd } from '../core/money.js';
import { csvLine } from '../reports/csv.js';
import { FOCUS_COLUMNS, type FocusColumn, type FocusRecord } from './columns.js';

/** ISO 8601 in UTC, to the second: 2026-10-05T10:00:00Z. */
export function focusDateTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function cell(c: FocusColumn, v: FocusRecord[string]): string | null {
  if (v === null || v === undefined) return null;
  switch (c.type) {
    case 'decimal':
      return formatUsd(v as bigint);
    case 'datetime':
      return focusDateTime(v as number);
    case 'json':
      return JSON.stringify(v);
    case 'quantity':
      return (v as number).toString();
    case 'string':
      return v as string;
  }
}

export function focusCsvHeader(): string {
  return csvLine(FOCUS_COLUMNS.map((c) => c.name));
}

/** One CSV line; decimals are exact to 1e-12 and nulls are empty fields. */
export function focusCsvLine(r: FocusRecord): string {
  return csvLine(FOCUS_COLUMNS.map((c) => cell(c, r[c.name] ?? null)));
}

/** Writes FOCUS rows as CSV to a stream, waiting when it is full. */
export async function writeFocusCsv(records: AsyncIterable<FocusRecord>, out: (text: string) => Promise<void> | void): Promise<number> {
  await out(focusCsvHeader());
  let n = 0;
  for await (const r of records) {
    await out(focusCsvLine(r));
    n++;
  }
  return n;
}
