import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { SetupError } from '../core/errors.js';
import type { LedgerRow } from '../core/ledger-row.js';
import { decodeRow } from './row-codec.js';

const READ_CHUNK = 1024 * 1024;
const NEWLINE = 10;

/**
 * The spool files this process opened. A file named with this process's pid but not opened by
 * it was left by an earlier process that had the same pid: a restarted container's gateway is
 * pid 1 every time. A file is forgotten once this process removes it (a gateway opens them for
 * as long as it runs).
 */
const openedHere = new Set<string>();

/** How many journal files this process remembers having opened (for tests). */
export function journalsOpenedHere(): number {
  return openedHere.size;
}

/** The spool directory cannot be used: a setup problem, told in one line. */
export class SpoolDirError extends SetupError {
  override readonly name = 'SpoolDirError';
  constructor(dir: string, cause: unknown) {
    super(`cannot use the spool folder "${dir}" (${cause instanceof Error ? cause.message : String(cause)}): set storage.spool_dir to a folder Tollgate can write`, { cause });
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

/** Up to `max` whole lines of the file open as `fd` from byte `offset` on, and the offset just after them. */
export function readLinesAt(fd: number, offset: number, max: number): { lines: string[]; next: number } {
  const lines: string[] = [];
  let at = offset;
  let buf = Buffer.allocUnsafe(READ_CHUNK);
  while (lines.length < max) {
    const n = readSync(fd, buf, 0, buf.length, at);
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

/**
 * A journal file's rows, `max` at a time, read a chunk at a time: a spool grows through a whole
 * storage outage, to hundreds of MB. A line that is not a row (torn by a crash or a full disk)
 * is skipped and counted.
 */
export async function forEachJournalBatch(path: string, max: number, each: (rows: LedgerRow[]) => Promise<void>): Promise<{ skipped: number }> {
  const fd = openSync(path, 'r');
  let skipped = 0;
  try {
    for (let at = 0; ; ) {
      const { lines, next } = readLinesAt(fd, at, max);
      if (lines.length === 0) break;
      at = next;
      const rows: LedgerRow[] = [];
      for (const line of lines) {
        try {
          rows.push(decodeRow(line));
        } catch {
          skipped++;
        }
      }
      if (rows.length > 0) await each(rows);
    }
  } finally {
    closeSync(fd);
  }
  return { skipped };
}

/** The rows of a small journal file (the requests in flight); a torn line is skipped. */
export async function readJournal(path: string): Promise<LedgerRow[]> {
  const rows: LedgerRow[] = [];
  await forEachJournalBatch(path, 10_000, (batch) => {
    rows.push(...batch);
    return Promise.resolve();
  });
  return rows;
}

/** Writes all of `text`, or throws: a full disk can take part of a write and fail the rest. Returns its bytes. */
export function writeAllSync(fd: number, text: string): number {
  const total = Buffer.byteLength(text);
  const n = writeSync(fd, text);
  if (n < total) {
    const rest = Buffer.from(text).subarray(n);
    for (let at = 0; at < rest.length; ) at += writeSync(fd, rest, at);
  }
  return total;
}

/** Appends every byte of the file open as `from` to the file open as `to`, a chunk at a time. */
export function copyJournal(from: number, to: number): void {
  const buf = Buffer.allocUnsafe(READ_CHUNK);
  for (let at = 0; ; ) {
    const n = readSync(from, buf, 0, buf.length, at);
    if (n === 0) return;
    for (let done = 0; done < n; ) done += writeSync(to, buf, done, n - done);
    at += n;
  }
}

/** Deletes a journal file, or throws as unlinkSync does. */
export function unlinkJournal(path: string): void {
  unlinkSync(path);
  openedHere.delete(basename(path));
}

/** Deletes a journal file once its rows are in storage. */
export function removeJournal(path: string): void {
  try {
    unlinkJournal(path);
  } catch (err) {
    // Another replica recovering the same file removed it first.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') openedHere.delete(basename(path));
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
export async function recoverSpools(dir: string, insert: InsertRows, o: RecoverOptions = {}): Promise<{ rows: number; skipped: number }> {
  let total = 0;
  let skipped = 0;
  for (const path of deadJournalFiles(dir, 'spool')) {
    skipped += (
      await forEachJournalBatch(path, 1000, async (rows) => {
        total += rows.length - (await replayRows(rows, insert, o)).setAside;
      })
    ).skipped;
    removeJournal(path);
  }
  return { rows: total, skipped };
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
