import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SetupError } from '../core/errors.js';
import { makeDirs } from '../files/make-dirs.js';
import type { LedgerRow } from '../core/ledger-row.js';
import { decodeRow, encodeRow } from './row-codec.js';

const ROTATE_BYTES = 64 * 1024 * 1024;
/**
 * Rows pending at which the write goes out once the current callback is done rather than at the
 * turn's end: every pending row holds back the end of its response, and on a busy gateway a turn
 * runs many callbacks. Two rows make a write worth its call: at maximum load this gave 1.06x the
 * requests a second for 1.04x the CPU a request (docs/ledger.md, Durability).
 */
const EARLY_WRITE_ROWS = 2;
const READ_CHUNK = 1024 * 1024;
const NEWLINE = 10;

/**
 * The spool files this process opened. A file named with this process's pid but not opened by
 * it was left by an earlier process that had the same pid: a restarted container's gateway is
 * pid 1 every time.
 */
const openedHere = new Set<string>();

/** The spool directory cannot be used: a setup problem, told in one line. */
export class SpoolDirError extends SetupError {
  override readonly name = 'SpoolDirError';
  constructor(dir: string, cause: unknown) {
    super(`cannot use the spool folder "${dir}" (${cause instanceof Error ? cause.message : String(cause)}): set storage.spool_dir to a folder Tollgate can write`, { cause });
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

  /** Writes the pending rows now, then releases whoever waits for them. */
  flush(): void {
    const lines = this.pending;
    const waiting = this.waiting;
    if (lines.length > 0) {
      this.pending = [];
      try {
        const text = lines.length === 1 ? lines[0]! : lines.join('');
        if (this.closed) this.writeLate(text);
        else {
          writeSync(this.fd, text);
          this.appended += lines.length;
        }
        if (!this.writing) {
          this.writing = true;
          this.onRecovered();
        }
      } catch (err) {
        this.writing = false;
        // As before batching: a failed journal write costs the spool copy, not the response.
        this.onError(err);
      }
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
    const lines: string[] = [];
    let at = offset;
    let buf = Buffer.allocUnsafe(READ_CHUNK);
    while (lines.length < max) {
      const n = readSync(this.fd, buf, 0, buf.length, at);
      if (n === 0) break;
      let start = 0;
      for (let nl = buf.indexOf(NEWLINE, 0); nl >= 0 && nl < n && lines.length < max; nl = buf.indexOf(NEWLINE, start)) {
        lines.push(buf.toString('utf8', start, nl + 1));
        start = nl + 1;
      }
      if (start === 0) {
        if (n < buf.length) break; // a torn last line
        buf = Buffer.allocUnsafe(buf.length * 2); // a line longer than the buffer
        continue;
      }
      at += start;
    }
    return { lines, next: at };
  }

  /** `n` more rows, in append order, are safely in storage. */
  markCommitted(n: number): void {
    this.committed += n;
    if (this.committed === this.appended && fstatSync(this.fd).size > ROTATE_BYTES) this.rotate();
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
    if (this.committed === this.appended && existsSync(this.path)) unlinkSync(this.path);
  }

  private writeLate(text: string): void {
    const { fd } = openJournalFile(this.dir, 'spool');
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
  }

  private rotate(): void {
    closeSync(this.fd);
    unlinkSync(this.path);
    ({ fd: this.fd, path: this.path } = openJournalFile(this.dir, 'spool'));
    this.appended = this.committed = 0;
  }
}

/**
 * The journals a process keeps in the spool folder: `spool` for the rows of finished requests,
 * `open` for requests still being served (metering/open-requests.ts).
 */
export type JournalKind = 'spool' | 'open';

/** Opens a new journal file of this process, named `<kind>-<pid>-<ms>-<random>.jsonl`. */
export function openJournalFile(dir: string, kind: JournalKind): { fd: number; path: string } {
  const name = `${kind}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.jsonl`;
  openedHere.add(name);
  const path = join(dir, name);
  return { fd: openSync(path, 'a+'), path };
}

/** The journal files of `kind` in `dir` that processes no longer running left behind. */
export function deadJournalFiles(dir: string, kind: JournalKind): string[] {
  if (!existsSync(dir)) return [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new SpoolDirError(dir, err);
  }
  const prefix = new RegExp(`^${kind}-(\\d+)-.*\\.jsonl$`);
  return names.filter((name) => {
    const m = prefix.exec(name);
    return m !== null && !openedHere.has(name) && !isAlive(Number(m[1]));
  }).map((name) => join(dir, name));
}

/** The rows of a journal file; a torn last line (a crash mid-write) is skipped. */
export function readJournal(path: string): LedgerRow[] {
  const rows: LedgerRow[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      rows.push(decodeRow(line));
    } catch {
      // A torn last line from a crash mid-write: the response it belongs to never completed.
    }
  }
  return rows;
}

/** Deletes a journal file once its rows are in storage. */
export function removeJournal(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Another replica recovering the same file removed it first.
  }
}

/** Storage's insert: idempotent on id, returning how many rows were new. */
export type InsertRows = (rows: LedgerRow[]) => Promise<number>;

export interface RecoverOptions {
  /** Whether an error was storage's own trouble: recovery then stops (and start-up fails), the files kept. */
  isStorageTrouble?: (err: unknown) => boolean;
  /** Takes a row storage refused on its own (see LedgerWriterOptions.setAside); false when it could not. */
  setAside?: (row: LedgerRow, err: unknown) => boolean;
}

/**
 * Replays spool files left by processes that are no longer running. Returns the rows replayed (not those set aside).
 * A batch storage refuses is tried a row at a time, and a row refused on its own is set aside
 * (when the caller can), so that one bad row cannot stop every later start.
 */
export async function recoverSpools(dir: string, insert: InsertRows, o: RecoverOptions = {}): Promise<number> {
  let total = 0;
  for (const path of deadJournalFiles(dir, 'spool')) {
    const rows = readJournal(path);
    total += rows.length - (await replayRows(rows, insert, o)).setAside;
    removeJournal(path);
  }
  return total;
}

/**
 * Commits rows read back from a journal, 1,000 at a time. A batch storage refuses is tried a row
 * at a time, and a row refused on its own is set aside (when the caller can). Returns how many
 * rows storage took as new and how many were set aside.
 */
export async function replayRows(rows: readonly LedgerRow[], insert: InsertRows, o: RecoverOptions): Promise<{ inserted: number; setAside: number }> {
  let inserted = 0;
  let setAside = 0;
  const counted = async (batch: LedgerRow[]) => {
    inserted += await insert(batch);
  };
  for (let i = 0; i < rows.length; i += 1000) {
    const batch = rows.slice(i, i + 1000);
    try {
      await counted(batch);
    } catch (err) {
      if (!o.setAside || o.isStorageTrouble?.(err)) throw err;
      for (const row of batch) {
        try {
          await counted([row]);
        } catch (rowErr) {
          if (o.isStorageTrouble?.(rowErr) || !o.setAside(row, rowErr)) throw rowErr;
          setAside++;
        }
      }
    }
  }
  return { inserted, setAside };
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/**
 * Whether the process has exited but not been reaped yet. A signal still reaches a zombie, so a
 * gateway restarted straight after a `kill -9` (its supervisor not yet done with the old one)
 * took the dead gateway's files for a live one's and left them until some later start.
 */
export function isZombie(pid: number, stat = `/proc/${pid}/stat`): boolean {
  try {
    const text = readFileSync(stat, 'latin1');
    // The state follows the command name, which is in parentheses and may itself hold ") ".
    return text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false; // no /proc (macOS, Windows): the signal's answer stands
  }
}
