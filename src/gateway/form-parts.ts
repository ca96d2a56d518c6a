import { boundaryOf, disposition } from '../providers/shared/form-fields.js';

/** A part's headers longer than this are not a form's (an SDK's are under 200 bytes). */
export const MAX_PART_HEADERS = 16 * 1024;
const CRLF_CRLF = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);

/**
 * Reads the names of a `multipart/form-data` body's parts (RFC 7578) as its bytes stream past,
 * holding no more of the body than a delimiter's length and one part's headers: a file's bytes
 * are looked through for the next delimiter, never kept. `onPart` gets each part's name
 * (undefined when its headers give none, or give it twice) and may throw to stop the upload, as may `push` when a
 * part's headers run past MAX_PART_HEADERS. Undefined (from `of`) when the content type is not a
 * form with a boundary.
 */
export class FormPartNames {
  /** `\r\n--boundary`: a body's first delimiter is read as if a line break came before it. */
  private readonly delimiter: Buffer;
  /** The body's last bytes, where a delimiter cut by a chunk's end may begin. */
  private carry: Buffer = Buffer.from('\r\n');
  /** Within a part's headers: those read so far. */
  private headers: Buffer | undefined;
  private done = false;
  private readonly onPart: (name: string | undefined) => void;

  private constructor(boundary: string, onPart: (name: string | undefined) => void) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`);
    this.onPart = onPart;
  }

  static of(contentType: string | undefined, onPart: (name: string | undefined) => void): FormPartNames | undefined {
    const boundary = boundaryOf(contentType);
    return boundary === undefined ? undefined : new FormPartNames(boundary, onPart);
  }

  push(chunk: Buffer): void {
    if (this.done) return;
    let buf = chunk;
    if (this.carry.length > 0) {
      // Joined whole only when a delimiter spans the chunks' seam (rare), or the chunk is shorter than one: a file's chunks are not copied.
      const seam = Buffer.concat([this.carry, chunk.subarray(0, this.delimiter.length + 1)]);
      buf = chunk.length < this.delimiter.length || seam.includes(this.delimiter) ? Buffer.concat([this.carry, chunk]) : chunk;
      this.carry = EMPTY;
    }
    let at = 0;
    while (!this.done) {
      if (this.headers !== undefined) {
        const before = this.headers.length;
        const joined = Buffer.concat([this.headers, buf.subarray(at, at + MAX_PART_HEADERS + CRLF_CRLF.length - before)]);
        const end = joined.indexOf(CRLF_CRLF);
        if (end < 0) {
          if (joined.length > MAX_PART_HEADERS) throw new Error(`a part's headers run past ${MAX_PART_HEADERS} bytes`);
          this.headers = joined;
          return;
        }
        this.headers = undefined;
        const text = joined.toString('latin1', 0, end);
        // A name also given as `name*` (RFC 5987) is read as none: a reader that prefers that form may see another.
        this.onPart(/;\s*name\*/i.test(text) ? undefined : disposition(text)?.name);
        at += end + CRLF_CRLF.length - before;
        continue;
      }
      const d = buf.indexOf(this.delimiter, at);
      if (d < 0) {
        // A delimiter cut by the chunk's end begins in its last bytes.
        this.carry = Buffer.from(buf.subarray(Math.max(at, buf.length - this.delimiter.length + 1)));
        return;
      }
      const after = d + this.delimiter.length;
      if (buf.length - after < 2) {
        // Whether `--` closes the form is in the next chunk.
        this.carry = Buffer.from(buf.subarray(d));
        return;
      }
      if (buf[after] === 0x2d && buf[after + 1] === 0x2d) this.done = true;
      else {
        this.headers = EMPTY;
        at = after;
      }
    }
  }
}
