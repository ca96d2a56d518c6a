import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LedgerRow } from '../core/ledger-row.js';

/** The file, in a spool folder, of rows storage refused; see `RefusedRows`. */
export const REFUSED_FILE = 'refused-rows.jsonl';

/**
 * Rows storage refused on their own account (a value it cannot hold) while it took others.
 * Retrying such a row forever would hold up every row after it, so it is written here instead,
 * in `tollgate export`'s JSONL: once the cause is fixed, `tollgate import --format ledger`
 * loads it (with its id, so never twice).
 */
export class RefusedRows {
  readonly path: string;
  private readonly encode: (row: LedgerRow) => string;

  /** `encode` writes a row as one line of `tollgate export --format jsonl` (reports/export.ts). */
  constructor(dir: string, encode: (row: LedgerRow) => string) {
    this.path = join(dir, REFUSED_FILE);
    this.encode = encode;
  }

  /** Appends the row; false when it could not be written (it must then stay where it was). */
  add(row: LedgerRow): boolean {
    try {
      mkdirSync(join(this.path, '..'), { recursive: true });
      appendFileSync(this.path, this.encode(row));
      return true;
    } catch {
      return false;
    }
  }
}
