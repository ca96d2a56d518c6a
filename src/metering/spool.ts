import { closeSync, existsSync, fstatSync, ftruncateSync, writeSync } from 'node:fs';
import { checkDirsWritable, makeDirs } from '../files/make-dirs.js';
import type { LedgerRow } from '../core/ledger-row.js';
import { encodeRow } from './row-codec.js';
import { SpoolDirError, copyJournal, openJournalFile, readLinesAt, removeJournal, unlinkJournal, writeAllSync } from './journal-files.js';

const ROTATE_BYTES = 64 * 1024 * 1024;
/**
 * Rows pending at which the write goes out once the current callback is done rather than at the
 * turn's end: every pending row holds back the end of its response, and on a busy gateway a turn
 * runs many callbacks. Two rows make a write worth its call: at maximum load this gave 1.06x the
 * requests a second for 1.04x the CPU a request (docs/ledger.md, Durability).
 */
const EARLY_WRITE_ROWS = 2;

/** Throws the SpoolDirError a Spool in `dir` would at start, making nothing (`tollgate check`). */
export function checkSpoolDir(dir: string): void {
  try {
    checkDirsWritable(dir);
  } catch (err) {
    throw new SpoolDirError(dir, err);
  }
}

/**
 * An append-only journal of ledger rows. A row alone is written when the event loop's turn
 * ends; once two are pending, they and any appended by the same callback are written as soon as
 * that callback is done (or sooner, by `flush`). `afterWrite` callbacks run only once their rows
 * are written: the gateway sends a response's last bytes from there. A write() lands in the OS
 * page cache, so the row survives a kill -9 of the gateway; storage then catches up in batches,
 * off the request's path. Each process owns one file; a file left by a dead process is
 * replayed into storage at the next start (inserts are idempotent on id).
 */
export class Spool {
  private fd: number;
  private path: string;
  private appended = 0;
  private committed = 0;
  /** Encoded rows not yet written, and who waits for them. */
  private pending: string[] = [];
  private waiting: (() => void)[] = [];
  private scheduled = false;
  private closed = false;
  /** False after a failed write, until one succeeds: rows are then not safe in the file alone. */
  private writing = true;
  /** Bytes of whole lines in the current file: a failed write is cut back to it. */
  private size = 0;
  /** The file may end in part of a line (a failed write that could not be cut back). */
  private torn = false;
  /** Kept at close and never rotated away: the storage its rows were committed to is lost. */
  private retained = false;
  private flushed: (ok: boolean) => void = () => undefined;
  private readonly dir: string;
  private readonly onError: (err: unknown) => void;
  private readonly onRecovered: () => void;

  /** `onError` for each failed write; `onRecovered` for the first write that succeeds after one failed. */
  constructor(dir: string, onError: (err: unknown) => void = () => undefined, onRecovered: () => void = () => undefined) {
    this.dir = dir;
    this.onError = onError;
    this.onRecovered = onRecovered;
    try {
      makeDirs(dir);
      ({ fd: this.fd, path: this.path } = openJournalFile(dir, 'spool'));
    } catch (err) {
      throw new SpoolDirError(dir, err);
    }
  }

  append(row: LedgerRow): void {
    this.appendLine(encodeRow(row));
  }

  /** Appends a row already encoded by `encodeRow`. */
  appendLine(line: string): void {
    this.pending.push(line);
    if (this.pending.length === EARLY_WRITE_ROWS) queueMicrotask(this.flushNow);
    if (this.scheduled) return;
    this.scheduled = true;
    // At most one write per event-loop turn for a row alone: a syscall costs more than encoding a row.
    setImmediate(this.flushAtTurnEnd);
  }

  private readonly flushNow = () => this.flush();
  private readonly flushAtTurnEnd = () => {
    this.scheduled = false;
    this.flush();
  };

  /** Runs `done` once every row appended so far is written (at once when none is pending). */
  afterWrite(done: () => void): void {
    if (this.pending.length === 0) done();
    else this.waiting.push(done);
  }

  /** Tells `fn` whether each write of pending rows succeeded (all of them, or none: a failed write is cut back). */
  onFlush(fn: (ok: boolean) => void): void {
    this.flushed = fn;
  }

  /** Writes the pending rows now, then releases whoever waits for them. */
  flush(): void {
    const lines = this.pending;
    const waiting = this.waiting;
    if (lines.length > 0) {
      this.pending = [];
      let ok = false;
      try {
        const text = lines.length === 1 ? lines[0]! : lines.join('');
        if (this.closed) this.writeLate(text);
        else {
          this.writeAll(text);
          this.appended += lines.length;
        }
        ok = true;
        if (!this.writing) {
          this.writing = true;
          this.onRecovered();
        }
      } catch (err) {
        this.writing = false;
        // As before batching: a failed journal write costs the spool copy, not the response.
        this.onError(err);
      }
      this.flushed(ok);
    }
    if (waiting.length > 0) {
      this.waiting = [];
      for (const done of waiting) done();
    }
  }

  /** What is wrong with the spool's file when it was deleted under it (its rows would be gone at the next start). */
  lostFile(): string | undefined {
    if (this.closed) return undefined;
    return fstatSync(this.fd).nlink === 0 ? `the spool file "${this.path}" was deleted` : undefined;
  }

  /**
   * Replaces a file deleted under the spool (its folder removed) by a new one, in the folder made
   * again, holding all the old one held: the rows not yet in storage, which a crash or a stop
   * would otherwise take with it. A byte-for-byte copy, so that offsets into it (spilled rows)
   * stay right; rows already in storage are replayed at no cost (inserts are idempotent on id).
   * Returns the new file's path; throws when the folder cannot be made or written again.
   */
  reopen(): string {
    this.flush();
    makeDirs(this.dir);
    const next = openJournalFile(this.dir, 'spool');
    try {
      copyJournal(this.fd, next.fd);
    } catch (err) {
      closeSync(next.fd);
      removeJournal(next.path);
      throw err;
    }
    closeSync(this.fd);
    removeJournal(this.path);
    ({ fd: this.fd, path: this.path } = next);
    return this.path;
  }

  /** Whether the last write succeeded (a row appended now can be read back from the file). */
  get healthy(): boolean {
    return this.writing && !this.closed;
  }

  /** The byte offset in the current file at which the next appended row will start. */
  nextOffset(): number {
    let n = fstatSync(this.fd).size;
    for (const line of this.pending) n += Buffer.byteLength(line);
    return n;
  }

  /**
   * Reads back up to `max` rows' lines from byte `offset` of the current file (what is
   * pending is written first), and the offset just after them.
   */
  readLines(offset: number, max: number): { lines: string[]; next: number } {
    this.flush();
    return readLinesAt(this.fd, offset, max);
  }

  /** `n` more rows, in append order, are safely in storage. */
  markCommitted(n: number): void {
    this.committed += n;
    if (this.committed === this.appended && this.size > ROTATE_BYTES && !this.retained) this.rotate();
  }

  /**
   * Keeps the file, and every row written to it from now on, for the next start to replay: the
   * storage the rows were committed to is lost (its file deleted under the gateway).
   */
  retain(): void {
    this.retained = true;
  }

  /**
   * Closes the file, deleting it when everything in it is in storage. Rows appended after
   * this go to files of their own, which the next start replays.
   */
  close(): void {
    if (this.closed) return;
    this.flush();
    closeSync(this.fd);
    this.closed = true;
    if (this.committed === this.appended && !this.retained && existsSync(this.path)) unlinkJournal(this.path);
  }

  /**
   * Appends `text` whole or not at all. A full disk can take part of a write: the file is cut
   * back to its last whole line, or, when it cannot be, the next write starts on a line of its
   * own, so that a torn line never swallows the next row.
   */
  private writeAll(text: string): void {
    const data = this.torn ? `\n${text}` : text;
    let total: number;
    try {
      total = writeAllSync(this.fd, data);
    } catch (err) {
      try {
        ftruncateSync(this.fd, this.size);
      } catch {
        this.torn = true;
      }
      throw err;
    }
    if (this.torn) {
      this.torn = false;
      this.size = fstatSync(this.fd).size;
    } else this.size += total;
  }

  private writeLate(text: string): void {
    const { fd } = openJournalFile(this.dir, 'spool');
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Starts a new file, the old one's rows all in storage. The new one is opened first: a folder
   * deleted under the gateway is made again, and when that fails the old file goes on (a closed
   * descriptor kept here would be reused by the next socket, and rows written into it).
   */
  private rotate(): void {
    let next: { fd: number; path: string };
    try {
      makeDirs(this.dir);
      next = openJournalFile(this.dir, 'spool');
    } catch {
      return;
    }
    closeSync(this.fd);
    removeJournal(this.path);
    ({ fd: this.fd, path: this.path } = next);
    this.appended = this.committed = this.size = 0;
    this.torn = false;
  }
}
