import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LedgerRow } from '../core/ledger-row.js';
import { makeDirs } from '../files/make-dirs.js';

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

  /** How many rows the file holds (0 when there is none): rows still waiting for someone to load them. */
  count(): number {
    try {
      const text = readFileSync(this.path, 'utf8');
      let n = 0;
      for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) n++;
      return n;
    } catch {
      return 0;
    }
  }

  /** Appends the row; false when it could not be written (it must then stay where it was). */
  add(row: LedgerRow): boolean {
    try {
      makeDirs(join(this.path, '..'));
      appendFileSync(this.path, this.encode(row));
      return true;
    } catch {
      return false;
    }
  }
}
