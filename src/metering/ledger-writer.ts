import type { LedgerRow } from '../core/ledger-row.js';

import { encodeRow } from './row-codec.js';
import type { Spool } from './spool.js';

/**
 * Where batches go: the storage itself, or a worker thread that owns a connection to it.
 * `lines` are the rows as the spool encoded them, when every row of the batch has one: a
 * worker takes those instead of a structured clone of the rows.
 */
export interface LedgerSink {
  insert(rows: readonly LedgerRow[], lines?: readonly string[]): Promise<number>;
}

export interface LedgerWriterOptions {
  flushIntervalMs?: number;
  maxBatch?: number;
  onError?: (err: unknown) => void;
}

/**
 * Takes ledger rows from the request path and commits them to storage in batches.
 * `record` is synchronous and cheap: it hands the row to the spool and queues it;
 * `afterJournal` says when the spool has written it. A failed batch stays queued and
 * is retried; the spool keeps it safe meanwhile.
 */
export class LedgerWriter {
  private queue: LedgerRow[] = [];
  /** The spool's encoding of each queued row ('' where encoding failed). */
  private lines: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private failures = 0;
  private closed = false;
  private readonly store: LedgerSink;
  private readonly spool: Spool | undefined;
  private readonly flushIntervalMs: number;
  private readonly maxBatch: number;
  private readonly onError: (err: unknown) => void;

  constructor(store: LedgerSink, spool: Spool | undefined, opts: LedgerWriterOptions = {}) {
    this.store = store;
    this.spool = spool;
    this.flushIntervalMs = opts.flushIntervalMs ?? 50;
    this.maxBatch = opts.maxBatch ?? 500;
    this.onError = opts.onError ?? (() => undefined);
  }

  record(row: LedgerRow): void {
    let line = '';
    if (this.spool) {
      try {
        line = encodeRow(row);
        this.spool.appendLine(line);
      } catch (err) {
        this.onError(err);
      }
    }
    // Storage may be closed too: the spool's file is this row's only copy, replayed at the next start.
    if (this.closed && this.spool) return;
    this.queue.push(row);
    this.lines.push(line);
    this.schedule(this.flushIntervalMs);
  }

  /** Runs `done` once every row recorded so far is in the spool's file. */
  afterJournal(done: () => void): void {
    if (this.spool) this.spool.afterWrite(done);
    else done();
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Commits everything queued so far. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    while (this.queue.length > 0) {
      this.flushing = this.commitBatch();
      try {
        await this.flushing;
      } finally {
        this.flushing = undefined;
      }
      if (this.failures > 0) throw new Error('ledger: storage is failing; rows stay in the spool');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    try {
      await this.flush();
    } finally {
      this.spool?.close();
    }
  }

  private schedule(delay: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.flushing) return this.schedule(delay);
      this.flushing = this.commitBatch().finally(() => {
        this.flushing = undefined;
        if (this.queue.length > 0) this.schedule(this.failures > 0 ? Math.min(5000, 100 * 2 ** this.failures) : 0);
      });
    }, delay);
    this.timer.unref();
  }

  private async commitBatch(): Promise<void> {
    const batch = this.queue.slice(0, this.maxBatch);
    if (batch.length === 0) return;
    const lines = this.lines.slice(0, batch.length);
    // A row must be in the spool's file before storage has it, or markCommitted would count it unwritten.
    this.spool?.flush();
    try {
      await this.store.insert(batch, lines.includes('') ? undefined : lines);
      this.queue.splice(0, batch.length);
      this.lines.splice(0, batch.length);
      this.failures = 0;
      this.spool?.markCommitted(batch.length);
    } catch (err) {
      this.failures += 1;
      this.onError(err);
    }
  }
}
