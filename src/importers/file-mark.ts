import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import type { FoundFile } from './discover.js';
import { type FileRecord, resumePoint } from './state.js';

// Kept out of state.ts, which the no-change check (quick-check.ts) loads: that check hashes
// nothing, and loading node:crypto cost it 3 ms of its start-up (157 against 161 ms median).

/** `resumePoint`, from the start when the bytes before the saved offset are no longer the ones read (the file was rewritten). */
export function checkedResumePoint(f: FoundFile, rec: FileRecord | undefined): { from: number; state: unknown } | undefined {
  const at = resumePoint(f, rec);
  if (!at || at.from === 0 || rec?.mark === undefined) return at;
  return fingerprint(f.path, at.from) === rec.mark ? at : { from: 0, state: undefined };
}

const MARK_BYTES = 256;

/**
 * A hash of the file's first bytes and of the bytes just before `offset` (at most 256 of each):
 * lines carry times and ids, so a rewritten file differs in one or the other. Two small reads.
 */
export function fingerprint(path: string, offset: number): string | undefined {
  if (offset === 0) return undefined;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined; // gone: the read that follows says so
  }
  try {
    return fingerprintOf(fd, offset);
  } finally {
    closeSync(fd);
  }
}

/**
 * `fingerprint` of a file already open (the read that just ended: no second open). `start`: the
 * file's first bytes as that read got them, used instead of reading again where they reach.
 */
export function fingerprintOf(fd: number, offset: number, start?: Buffer): string | undefined {
  if (offset === 0) return undefined;
  const buf = Buffer.alloc(2 * MARK_BYTES);
  const get = (at: number, length: number, to: number) => (start && at + length <= start.length ? start.copy(buf, to, at, at + length) : readSync(fd, buf, to, length, at));
  const head = get(0, Math.min(MARK_BYTES, offset), 0);
  const tailFrom = Math.max(0, offset - MARK_BYTES);
  const tail = get(tailFrom, offset - tailFrom, head);
  // A short read means the file is shorter than the offset now: no match.
  return createHash('sha1').update(buf.subarray(0, head + tail)).digest('base64').slice(0, 16) + (head + tail);
}
