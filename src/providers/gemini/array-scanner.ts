const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

const DEFAULT_MAX_ELEMENT_BYTES = 32 * 1024 * 1024;

/**
 * Without `alt=sse`, streamGenerateContent sends one JSON array whose elements arrive
 * over time (protocols.md §4.1). This scanner finds each top-level element as its
 * closing brace arrives, tracking only string, escape and nesting state, so the
 * client's bytes are never held back. A bare top-level object (an error body) counts
 * as one element. Only the bytes of the element being read are kept.
 */
export class JsonArrayScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Depth at which the current element opened, or -1 when not inside one. */
  private elementDepth = -1;
  private parts: Buffer[] = [];
  private size = 0;
  private oversized = false;
  private readonly maxElementBytes: number;

  constructor(maxElementBytes = DEFAULT_MAX_ELEMENT_BYTES) {
    this.maxElementBytes = maxElementBytes;
  }

  push(chunk: Buffer, onElement: (text: string) => void): void {
    let start = this.elementDepth >= 0 ? 0 : -1;
    let i = 0;
    while (i < chunk.length) {
      if (this.inString) {
        i = this.skipInString(chunk, i);
        continue;
      }
      const b = chunk[i];
      if (b === QUOTE) this.inString = true;
      else if (b === LBRACE || b === LBRACKET) {
        if (b === LBRACE && this.elementDepth < 0 && this.depth <= 1) {
          this.elementDepth = this.depth;
          start = i;
        }
        this.depth++;
      } else if (b === RBRACE || b === RBRACKET) {
        this.depth = Math.max(0, this.depth - 1);
        if (this.depth === this.elementDepth) {
          this.keep(chunk.subarray(start, i + 1));
          this.finishElement(onElement);
          start = -1;
        }
      }
      i++;
    }
    if (start >= 0) this.keep(chunk.subarray(start));
  }

  /** Moves past string bytes; returns the next index to look at. */
  private skipInString(chunk: Buffer, from: number): number {
    if (this.escaped) {
      this.escaped = false;
      return from + 1;
    }
    const quote = chunk.indexOf(QUOTE, from);
    const end = quote < 0 ? chunk.length : quote;
    const slash = chunk.subarray(from, end).indexOf(BACKSLASH);
    if (slash >= 0) {
      this.escaped = true;
      return from + slash + 1;
    }
    if (quote >= 0) this.inString = false;
    return end + 1;
  }

  private keep(bytes: Buffer): void {
    if (this.oversized) return;
    this.size += bytes.length;
    if (this.size > this.maxElementBytes) {
      this.oversized = true;
      this.parts = [];
      return;
    }
    this.parts.push(bytes);
  }

  private finishElement(onElement: (text: string) => void): void {
    const text = this.oversized ? undefined : Buffer.concat(this.parts, this.size).toString('utf8');
    this.parts = [];
    this.size = 0;
    this.oversized = false;
    this.elementDepth = -1;
    if (text !== undefined) onElement(text);
  }
}
