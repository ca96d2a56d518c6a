import type { LedgerRow } from '../core/ledger-row.js';

/** A row to build when the run is over. */
export interface PendingRow {
  build(): LedgerRow;
}

/**
 * What an import run changes in the ledger: rows to add or replace (by id), and rows to
 * delete. Rows are built (and priced) lazily, once per id, when the run is over: a
 * response read as three lines would otherwise be built three times.
 */
export class Changes {
  private readonly pending = new Map<string, PendingRow>();
  /** Ids that may already be in the ledger with other contents (so must be upserted, not just inserted). */
  private readonly maybeStored = new Set<string>();
  readonly removed = new Set<string>();
  /** Ids put with `putFirst`: a copy the ledger already holds is the one to keep. */
  private readonly firstKept = new Set<string>();

  /**
   * `known`: the record may already be in the ledger with other contents (a response whose
   * usage grew since an earlier run). Other rows are written with a plain idempotent insert.
   */
  put(id: string, row: PendingRow, known = false): void {
    this.removed.delete(id);
    this.pending.set(id, row);
    if (known) this.maybeStored.add(id);
  }

  /**
   * Like `put`, but an earlier copy of the record already pending under `id` is kept: what a
   * later run does too, its plain insert ignoring an id the ledger has.
   */
  putFirst(id: string, row: PendingRow): void {
    if (this.pending.has(id)) return;
    this.put(id, row);
    this.firstKept.add(id);
  }

  remove(id: string): void {
    this.pending.delete(id);
    this.removed.add(id);
  }

  /** The rows to write, built now. */
  rows(): LedgerRow[] {
    return [...this.pending.values()].map((p) => p.build());
  }

  /**
   * Splits rows into those to insert and those to upsert (see `put`). `all`: every row is
   * upserted; `unsaved`: every row but those put with `putFirst`, after a write whose state was
   * not saved (its rows may be stored, of responses that grew since: see write-mark.ts).
   */
  split(rows: readonly LedgerRow[], all: boolean, unsaved = false): { insert: LedgerRow[]; upsert: LedgerRow[] } {
    const insert: LedgerRow[] = [];
    const upsert: LedgerRow[] = [];
    for (const r of rows) (all || this.maybeStored.has(r.id) || (unsaved && !this.firstKept.has(r.id)) ? upsert : insert).push(r);
    return { insert, upsert };
  }

  get size(): number {
    return this.pending.size + this.removed.size;
  }
}
