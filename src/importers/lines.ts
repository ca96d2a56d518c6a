import { closeSync, openSync, readSync } from 'node:fs';

const NEWLINE = 10;
const BACKSLASH = 92;
const CHUNK = 4 * 1024 * 1024;

// One read buffer for every file (most logs are far smaller than it): a new one per file
// would be gigabytes of garbage over a thousand files.
let shared = Buffer.allocUnsafe(CHUNK);

/** Where one read stopped: the offset just after the last complete line (the next run starts there). */
export interface ScanResult {
  /** Offset after the last newline read. */
  end: number;
  /** Bytes read from `from`. */
  bytes: number;
  /** What `atEnd` returned, asked with the file still open. */
  mark?: string;
}

/**
 * Calls `onLine` for each complete line of the file from byte `from`, in order. With a
 * `marker`, only lines containing it (outside a JSON string: not preceded by a backslash)
 * are handed over, found by a byte search that never looks at the other lines. A last
 * line without its newline is offered with `tail` set (it may still be being written), and
 * is not counted in `end`. `atEnd` is given the file's bytes too when one read got them all.
 */
export function scanLines(
  path: string,
  from: number,
  onLine: (buf: Buffer, start: number, end: number, tail: boolean) => void,
  marker?: Buffer,
  onProgress?: (bytes: number) => void,
  atEnd?: (fd: number, end: number, start?: Buffer) => string | undefined,
): ScanResult {
  const fd = openSync(path, 'r');
  try {
    let buf = shared;
    let held = 0; // bytes of an unfinished line carried over to the next read
    let fileAt = from;
    let end = from;
    // Whether buf[0, fileAt) is the file from its start: read from 0 in one read, nothing moved.
    let whole = from === 0;
    for (;;) {
      if (held === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, held);
        buf = shared = bigger;
      }
      const n = readSync(fd, buf, held, buf.length - held, fileAt);
      if (n === 0) {
        if (held > 0) onLine(buf, 0, held, true);
        break;
      }
      if (fileAt > from) whole = false;
      fileAt += n;
      onProgress?.(n);
      const filled = held + n;
      const complete = buf.lastIndexOf(NEWLINE, filled - 1) + 1;
      if (complete > 0) {
        const view = buf.subarray(0, complete);
        if (marker) eachMarkedLine(view, marker, onLine);
        else eachLine(view, onLine);
        end += complete;
      }
      held = filled - complete;
      if (held > 0 && complete > 0) {
        buf.copy(buf, 0, complete, filled);
        whole = false;
      }
    }
    const mark = atEnd?.(fd, end, whole ? buf.subarray(0, fileAt) : undefined);
    return { end, bytes: fileAt - from, ...(mark === undefined ? {} : { mark }) };
  } finally {
    closeSync(fd);
  }
}

function eachLine(buf: Buffer, onLine: (buf: Buffer, start: number, end: number, tail: boolean) => void): void {
  let at = 0;
  while (at < buf.length) {
    const nl = buf.indexOf(NEWLINE, at);
    if (nl > at) onLine(buf, at, nl, false);
    at = nl + 1;
  }
}

function eachMarkedLine(buf: Buffer, marker: Buffer, onLine: (buf: Buffer, start: number, end: number, tail: boolean) => void): void {
  let at = 0;
  for (;;) {
    const m = buf.indexOf(marker, at);
    if (m < 0) return;
    if (m > 0 && buf[m - 1] === BACKSLASH) {
      at = m + 1;
      continue;
    }
    const start = buf.lastIndexOf(NEWLINE, m) + 1;
    const nl = buf.indexOf(NEWLINE, m);
    onLine(buf, start, nl, false);
    at = nl + 1;
  }
}
