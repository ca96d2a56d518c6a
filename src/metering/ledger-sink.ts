import type { LedgerRow } from '../core/ledger-row.js';

/**
 * Where batches go: the storage itself, or a worker thread that owns a connection to it.
 * `lines` are the rows as the spool encoded them, when every row of the batch has one: a
 * worker takes those instead of a structured clone of the rows.
 */
export interface LedgerSink {
  /** True when the sink wants `lines` (a worker thread); storage itself takes the rows alone. */
  readonly takesLines?: boolean;
  insert(rows: readonly LedgerRow[], lines?: readonly string[]): Promise<number>;
  /** Resolves when storage answers: a batch that failed meanwhile failed for its rows. */
  ping?(): Promise<void>;
}

export interface LedgerWriterOptions {
  flushIntervalMs?: number;
  maxBatch?: number;
  /** Rows held in memory while storage catches up; beyond them rows wait in the spool's file alone. */
  maxQueued?: number;
  /** A batch storage has not confirmed by then counts as failed and is retried (inserts are idempotent on id). */
  commitTimeoutMs?: number;
  onError?: (err: unknown) => void;
  /** Called when a batch commits after batches failed (storage is back). */
  onRecovered?: () => void;
  /** Whether an error was storage's (down, locked, full): the rows are then retried as they are. */
  isStorageTrouble?: (err: unknown) => boolean;
  /**
   * Takes a row storage refused on its own while answering (see `commitBatch`), and says
   * whether it is kept; without it such a row is retried for ever, holding up those after it.
   */
  setAside?: (row: LedgerRow, err: unknown) => boolean;
}
