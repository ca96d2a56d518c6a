import type { LedgerRow } from '../core/ledger-row.js';

/** What an import run changes in the ledger: rows to add or replace (by id), and rows to delete. */
export class Changes {
  readonly rows = new Map<string, LedgerRow>();
  readonly removed = new Set<string>();

  put(row: LedgerRow): void {
    this.removed.delete(row.id);
    this.rows.set(row.id, row);
  }

  remove(id: string): void {
    this.rows.delete(id);
    this.removed.add(id);
  }

  get size(): number {
    return this.rows.size + this.removed.size;
  }
}
