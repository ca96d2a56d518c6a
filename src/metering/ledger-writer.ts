import type { LedgerRow } from '../core/ledger-row.js';

import { decodeRow, encodeRow } from './row-codec.js';
import { TimedOut, within } from '../core/within.js';
import { StorageUnavailableError } from '../core/errors.js';
import type { Spool } from './spool.js';
import type { LedgerSink, LedgerWriterOptions } from './ledger-sink.js';

/**
 * How long a row waits for its batch. Every commit rewrites the last page of the table and of
 * each index, and a page of each rollup it touches, two WAL writes a page; a longer wait spreads
 * them over more rows. At 50 ms rather than 20 the gateway spent 3.8% less CPU a request (7 of 7
 * rounds, two gateways serving 3,500 requests a second each side by side) and held 1.4 MB more
 * with 1,000 streams open after load (docs/benchmarks.md). Rows that outlive two young-generation
 * collections are copied into the old generation; with the rows as lean as they now are, that
 * costs less than the commits saved.
 */
const FLUSH_INTERVAL_MS = 50;

const FAILING = 'ledger: storage is failing; rows stay in the spool';

/** Times a row alone must fail, storage answering each time, before it is set aside. */
const STRIKES = 3;

/**
 * Takes ledger rows from the request path and commits them to storage in batches.
 * `record` is synchronous and cheap: it hands the row to the spool and queues it;
 * `afterJournal` says when the spool has written it. A failed batch stays queued and
 * is retried; the spool keeps it safe meanwhile. While storage is down the queue stops
 * at `maxQueued` rows: later rows are in the spool's file only ("spilled"), and are read
 * back from it, in order, as storage catches up, so an outage costs disk, not memory.
 * A batch that fails while storage answers holds a row storage will not take: the batch is
 * halved until that row is alone, and the row is then set aside rather than retried for ever.
 */
export class LedgerWriter {
  private queue: LedgerRow[] = [];
  /**
   * Per queued row, the spool's encoding of it ('' where encoding failed) when the sink takes
   * lines, else whether the spool holds it: a line kept for nothing would outlive the young
   * generation with its row and be copied into the old one.
   */
  private lines: (string | boolean)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private failures = 0;
  /** Rows per batch: `maxBatch`, less while halving a batch that storage refused. */
  private limit: number;
  /** Failures of the queue's first row on its own, storage answering. */
  private strikes = 0;
  /** Rows at the queue's head among which is a row storage refused (0 when none is sought). */
  private suspects = 0;
  private closed = false;
  /** Rows in the spool's file but not in the queue: the file's last rows, from byte `spillAt`. */
  private spilled = 0;
  private spillAt = 0;
  /** Rows handed to the spool since its last write: queued ones, and spilled ones by their lines. */
  private unwrittenRows: LedgerRow[] = [];
  private unwrittenSpills: string[] = [];
  /** A spool write failed: queued rows may be in memory alone, to be written again once it works. */
  private memoryOnly = false;
  /** The spool works again while a batch is in storage's hands: the queue is rewritten before the next one. */
  private rejournalDue = false;
  /**
   * Rows queued or spilled since the start, and rows committed or set aside since. Rows are
   * committed in the order recorded (bar queued rows a failed spool write sends behind spilled
   * ones), so the rows recorded before a read are in once `settled` reaches `recorded` as it was.
   */
  private recorded = 0;
  private settled = 0;
  private readonly maxQueued: number;
  private readonly commitTimeoutMs: number;
  private readonly store: LedgerSink;
  private readonly spool: Spool | undefined;
  private readonly flushIntervalMs: number;
  private readonly maxBatch: number;
  private readonly onError: (err: unknown) => void;
  private readonly onRecovered: () => void;
  private readonly isStorageTrouble: (err: unknown) => boolean;
  private readonly setAside: ((row: LedgerRow, err: unknown) => boolean) | undefined;

  constructor(store: LedgerSink, spool: Spool | undefined, opts: LedgerWriterOptions = {}) {
    this.store = store;
    this.spool = spool;
    this.flushIntervalMs = opts.flushIntervalMs ?? FLUSH_INTERVAL_MS;
    this.maxBatch = opts.maxBatch ?? 500;
    this.maxQueued = opts.maxQueued ?? 20_000;
    this.commitTimeoutMs = opts.commitTimeoutMs ?? 60_000;
    this.onError = opts.onError ?? (() => undefined);
    this.onRecovered = opts.onRecovered ?? (() => undefined);
    this.isStorageTrouble = opts.isStorageTrouble ?? (() => false);
    this.setAside = opts.setAside;
    this.limit = this.maxBatch;
    spool?.onFlush((ok) => this.written(ok));
  }

  record(row: LedgerRow): void {
    let line = '';
    let spill = false;
    if (this.spool) {
      try {
        line = encodeRow(row);
      } catch (err) {
        this.onError(err);
      }
    }
    if (this.spool && line !== '') {
      try {
        spill = !this.closed && (this.spilled > 0 || (this.queue.length >= this.maxQueued && this.spool.healthy));
        if (spill && this.spilled === 0) this.spillAt = this.spool.nextOffset();
      } catch (err) {
        this.onError(err);
        spill = false;
      }
      this.spool.appendLine(line);
      if (spill) this.unwrittenSpills.push(line);
      else this.unwrittenRows.push(row);
    }
    // Storage may be closed too: the spool's file is this row's only copy, replayed at the next start.
    if (this.closed && this.spool) return;
    this.recorded++;
    if (spill) this.spilled++;
    else {
      this.queue.push(row);
      this.lines.push(this.store.takesLines ? line : line !== '');
    }
    this.schedule(this.flushIntervalMs);
  }

  /** Runs `done` once every row recorded so far is in the spool's file. */
  afterJournal(done: () => void): void {
    if (this.spool) this.spool.afterWrite(done);
    else done();
  }

  /** Rows recorded and not yet committed (queued or spilled). */
  get pending(): number {
    return this.queue.length + this.spilled;
  }

  /** Whether recorded rows reach the spool's file (false after a failed write, until one succeeds). */
  get journaling(): boolean {
    return (this.spool?.healthy ?? false) && !this.memoryOnly;
  }

  /** Rows held in memory. */
  get queued(): number {
    return this.queue.length;
  }

  /** Commits everything queued so far. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    while (this.pending > 0) {
      await this.commitOwnBatch();
      if (this.failures > 0) throw new StorageUnavailableError(FAILING);
    }
  }

  /**
   * Commits the rows recorded before this call, for a read that must see them, or fails with
   * StorageUnavailableError: at once while storage is failing (the last batch failed), and once
   * `waitMs` have passed. Unlike `flush` it waits for no row recorded after it, and tries no batch
   * of its own after one failed: during a Postgres hang an admin report waited for the batch in
   * flight, then for one of its own, before its 503 (39 s, then 20 s each time).
   */
  async flushForRead(waitMs: number): Promise<void> {
    const upTo = this.recorded;
    const caughtUp = () => this.settled >= upTo || this.pending === 0;
    const commit = async () => {
      while (!caughtUp()) {
        if (this.failures > 0) throw new StorageUnavailableError(FAILING);
        if (this.flushing) await this.flushing;
        else await this.commitOwnBatch();
      }
    };
    try {
      await within(commit(), waitMs, 'ledger: rows not committed in time');
    } catch (err) {
      if (!(err instanceof TimedOut)) throw err;
      throw new StorageUnavailableError(`ledger: the rows recorded before this read were not committed within ${waitMs} ms; they stay in the spool`);
    }
  }

  private async commitOwnBatch(): Promise<void> {
    this.flushing = this.commitBatch();
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    try {
      await this.flush();
    } finally {
      // Storage did not take them all: rows a failed spool write left in memory alone get another try.
      if (this.memoryOnly) this.rejournal();
      this.spool?.close();
    }
  }

  /** A queued row's mark when the spool does not hold it (see `lines`). */
  private get notInSpool(): string | boolean {
    return this.store.takesLines ? '' : false;
  }

  /** The spool wrote the rows handed to it since its last write (`ok`), or none of them. */
  private written(ok: boolean): void {
    const rows = this.unwrittenRows;
    const spills = this.unwrittenSpills;
    this.unwrittenRows = [];
    this.unwrittenSpills = [];
    if (ok) {
      // The spool works again: the rows held in memory alone go back into it (not under a batch in flight, whose rows are the queue's first).
      if (this.memoryOnly && !this.closed) {
        if (this.flushing) this.rejournalDue = true;
        else this.rejournal();
      }
      return;
    }
    if (rows.length === 0 && spills.length === 0) return;
    this.memoryOnly = true;
    // Not in the file: those rows are in memory alone. Spilled ones are taken back into the queue.
    const unwritten = new Set(rows);
    for (let i = this.queue.length - 1; i >= 0 && unwritten.size > 0; i--) {
      if (unwritten.delete(this.queue[i]!)) this.lines[i] = this.notInSpool;
    }
    this.spilled -= spills.length;
    for (const line of spills) {
      this.queue.push(decodeRow(line));
      this.lines.push(this.notInSpool);
    }
  }

  /** Appends the queued rows the spool does not hold to it again. */
  private rejournal(): void {
    this.memoryOnly = false;
    this.rejournalDue = false;
    // While rows spill, every line appended is a spilled row: these leave the queue and join them.
    const spilling = this.spilled > 0 && !this.closed;
    const queue: LedgerRow[] = [];
    const lines: (string | boolean)[] = [];
    for (let i = 0; i < this.queue.length; i++) {
      const row = this.queue[i]!;
      let line = '';
      if (!inSpool(this.lines[i]!)) {
        try {
          line = encodeRow(row);
        } catch {
          // Not encodable: it stays in memory, as it was.
        }
      }
      if (line === '') {
        queue.push(row);
        lines.push(this.lines[i]!);
        continue;
      }
      this.spool!.appendLine(line);
      if (spilling) {
        this.spilled++;
        this.unwrittenSpills.push(line);
        continue;
      }
      this.unwrittenRows.push(row);
      queue.push(row);
      lines.push(this.store.takesLines ? line : true);
    }
    this.queue = queue;
    this.lines = lines;
  }

  private schedule(delay: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.flushing) return this.schedule(delay);
      this.flushing = this.commitBatch()
        .catch((err: unknown) => this.onError(err))
        .finally(() => {
          this.flushing = undefined;
          if (this.pending > 0) this.schedule(this.failures > 0 ? Math.min(5000, 100 * 2 ** this.failures) : 0);
        });
    }, delay);
    this.timer.unref();
  }

  private async commitBatch(): Promise<void> {
    if (this.rejournalDue) this.rejournal();
    // A row must be in the spool's file before storage has it, or markCommitted would count it unwritten.
    this.spool?.flush();
    try {
      this.refill();
    } catch (err) {
      this.onError(err);
    }
    const batch = this.queue.slice(0, this.limit);
    if (batch.length === 0) return;
    const lines = this.store.takesLines ? (this.lines.slice(0, batch.length) as string[]) : undefined;
    try {
      await within(this.store.insert(batch, lines === undefined || lines.includes('') ? undefined : lines), this.commitTimeoutMs, `storage did not confirm the batch within ${this.commitTimeoutMs} ms`);
      this.committed(batch.length);
      if (this.failures > 0) {
        this.failures = 0;
        this.onRecovered();
      }
      this.strikes = 0;
      if (this.suspects > 0) {
        this.suspects -= batch.length;
        if (this.suspects <= 0) this.limit = this.maxBatch;
      }
    } catch (err) {
      this.onError(err);
      const failures = this.failures + 1;
      if (!this.setAside || err instanceof TimedOut || this.isStorageTrouble(err) || !(await this.storageAnswers())) {
        this.failures = failures;
        return;
      }
      // Storage is up and refused this batch: one of its rows is the cause. Halve until it is alone.
      this.failures = 0;
      if (batch.length > 1) {
        this.suspects = batch.length;
        this.limit = Math.ceil(batch.length / 2);
      } else if (++this.strikes >= STRIKES) {
        this.strikes = 0;
        if (!this.setAside(batch[0]!, err)) {
          this.failures = failures;
          return;
        }
        this.committed(1);
        this.suspects = 0;
        this.limit = this.maxBatch;
      }
    }
  }

  /** The queue's first `n` rows are in storage (or set aside). */
  private committed(n: number): void {
    const lines = this.lines.splice(0, n);
    this.queue.splice(0, n);
    this.settled += n;
    // Only rows the spool holds count towards its file being done with.
    this.spool?.markCommitted(lines.reduce((k, l) => (inSpool(l) ? k + 1 : k), 0));
  }

  private async storageAnswers(): Promise<boolean> {
    if (!this.store.ping) return false;
    try {
      await within(this.store.ping(), this.commitTimeoutMs, 'storage did not answer');
      return true;
    } catch {
      return false;
    }
  }

  /** Reads spilled rows back into the queue once it has room for many. */
  private refill(): void {
    if (this.spilled === 0 || this.queue.length > this.maxQueued / 2) return;
    const { lines, next } = this.spool!.readLines(this.spillAt, Math.min(this.spilled, this.maxQueued - this.queue.length));
    let bad = 0;
    for (const line of lines) {
      let row: LedgerRow;
      try {
        row = decodeRow(line);
      } catch {
        // A line a failed write tore (the spool starts the next one on a line of its own): no row of ours.
        bad++;
        continue;
      }
      this.queue.push(row);
      this.lines.push(this.store.takesLines ? line : true);
    }
    if (bad > 0) this.onError(new Error(`ledger: skipped ${bad} torn line(s) of the spool`));
    this.spillAt = next;
    this.spilled -= lines.length - bad;
    if (lines.length === 0) {
      // Only a failed write leaves a spilled row out of the file; it was reported then.
      this.onError(new Error(`ledger: ${this.spilled} rows could not be read back from the spool`));
      this.spilled = 0;
    }
  }
}

/** Whether a queued row's mark says the spool holds it. */
function inSpool(mark: string | boolean): boolean {
  return mark !== '' && mark !== false;
}
