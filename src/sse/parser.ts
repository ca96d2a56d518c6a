/**
 * A byte-level Server-Sent Events parser (WHATWG HTML §9.2.6).
 *
 * It hands back each event twice: as its exact raw bytes (terminating blank line
 * included) and as parsed fields. Raw bytes let a rewriting tap forward every event
 * it does not touch byte-for-byte; concatenating all raw slices always gives back the
 * input. Lines may end in LF, CR or CRLF, and a CRLF may be split across chunks.
 *
 * Bounded: an event larger than `maxEventBytes` is not parsed; its bytes are still
 * handed back (with a null event) so that a stream is never blocked or altered.
 */
export interface SseEvent {
  /** The `event:` field, or undefined for the default "message" type. */
  event: string | undefined;
  /** The data lines joined with "\n". */
  data: string;
  id: string | undefined;
  retry: number | undefined;
}

/** Called with each event's raw bytes, and the parsed event (null for comment-only blocks, oversized or incomplete events). */
export type OnEvent = (raw: Buffer, event: SseEvent | null) => void;

export interface SseParserOptions {
  maxEventBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const DEFAULT_MAX_EVENT_BYTES = 32 * 1024 * 1024;

export class SseParser {
  private parts: Buffer[] = [];
  private size = 0;
  /** Bytes of the current line seen so far, terminators excluded. */
  private lineLen = 0;
  /** The previous byte was a CR that ended a line: a LF right after it belongs to it. */
  private pendingCR = false;
  /** A CR ended a blank line at a chunk's end: the event is complete, but a following LF is part of it. */
  private blankPendingCR = false;
  private oversized = false;
  private first = true;
  private readonly maxEventBytes: number;
  /** Set once any event was too large to parse. */
  overflowed = false;

  constructor(opts: SseParserOptions = {}) {
    this.maxEventBytes = opts.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  }

  /**
   * Between two events: nothing held and no line begun, so the next byte starts a new event.
   * False until the first event is parsed (a stream may open with a byte-order mark).
   */
  get idle(): boolean {
    return this.size === 0 && this.lineLen === 0 && !this.pendingCR && !this.blankPendingCR && !this.oversized && !this.first;
  }

  push(chunk: Buffer, onEvent: OnEvent): void {
    // An empty chunk says nothing, not even whether a pending CR's LF follows.
    if (chunk.length === 0) return;
    let i = 0;
    let start = 0;
    const len = chunk.length;
    // Where the next CR is, found natively once and refreshed only when passed (most streams have none).
    let cr = chunk.indexOf(CR);
    if (this.blankPendingCR) {
      this.blankPendingCR = false;
      this.pendingCR = false;
      if (len > 0 && chunk[0] === LF) i = start = 1;
      this.dispatch(chunk.subarray(0, start), onEvent);
    }
    while (i < len) {
      if (cr >= 0 && cr < i) cr = chunk.indexOf(CR, i);
      const lf = chunk.indexOf(LF, i);
      const j = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
      if (j < 0) {
        this.lineLen += len - i;
        break;
      }
      const byte = chunk[j];
      if (byte === LF && this.pendingCR && j === i) {
        // Second half of a CRLF whose CR already ended the line.
        this.pendingCR = false;
        i = j + 1;
        continue;
      }
      this.pendingCR = byte === CR;
      const blank = this.lineLen + (j - i) === 0;
      this.lineLen = 0;
      let end = j + 1;
      i = end;
      if (!blank) continue;
      if (byte === CR) {
        if (end === len) {
          this.blankPendingCR = true;
          break;
        }
        if (chunk[end] === LF) end += 1;
        this.pendingCR = false;
        i = end;
      }
      this.dispatch(chunk.subarray(start, end), onEvent);
      start = end;
    }
    if (start < len) this.hold(chunk.subarray(start), onEvent);
  }

  /** The stream ended: hand back any incomplete trailing bytes (an incomplete event is not dispatched, per the spec). */
  end(onEvent: OnEvent): void {
    if (this.blankPendingCR) {
      this.blankPendingCR = false;
      this.dispatch(Buffer.alloc(0), onEvent);
      return;
    }
    if (this.size > 0) {
      const raw = Buffer.concat(this.parts, this.size);
      this.reset();
      onEvent(raw, null);
    }
  }

  private hold(bytes: Buffer, onEvent: OnEvent): void {
    this.parts.push(bytes);
    this.size += bytes.length;
    if (this.size > this.maxEventBytes) {
      // Give the bytes back unparsed and skip to the end of this event.
      const raw = Buffer.concat(this.parts, this.size);
      this.parts = [];
      this.size = 0;
      this.oversized = true;
      this.overflowed = true;
      onEvent(raw, null);
    }
  }

  private dispatch(tail: Buffer, onEvent: OnEvent): void {
    const raw = this.size === 0 ? tail : Buffer.concat([...this.parts, tail], this.size + tail.length);
    const skip = this.oversized;
    this.reset();
    if (raw.length === 0) return;
    onEvent(raw, skip ? null : this.parseFields(raw));
  }

  private reset(): void {
    // Runs once per event: keep the empty array rather than allocate another.
    if (this.parts.length !== 0) this.parts = [];
    this.size = 0;
    this.oversized = false;
  }

  private parseFields(raw: Buffer): SseEvent | null {
    if (this.first) {
      this.first = false;
      if (raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf) return parseEventText(raw.toString('utf8', 3));
    }
    // Fast path for the common one-line `data: <json>` block: decode just the data.
    if (startsWithData(raw)) {
      let end = raw.length;
      while (end > 6 && (raw[end - 1] === LF || raw[end - 1] === CR)) end--;
      const lf = raw.indexOf(LF, 6);
      const cr = raw.indexOf(CR, 6);
      if ((lf < 0 || lf >= end) && (cr < 0 || cr >= end)) return { event: undefined, data: raw.toString('utf8', 6, end), id: undefined, retry: undefined };
    }
    return parseEventText(raw.toString('utf8'));
  }
}

const DATA_PREFIX = Buffer.from('data: ');

function startsWithData(raw: Buffer): boolean {
  return raw.length > 6 && raw[0] === 0x64 && raw.compare(DATA_PREFIX, 0, 6, 0, 6) === 0;
}

/** Parses the text of one complete event block. Returns null when it has no data (comments, empty block). */
export function parseEventText(text: string): SseEvent | null {
  let event: string | undefined;
  let id: string | undefined;
  let retry: number | undefined;
  let data: string[] | undefined;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '' || line.charCodeAt(0) === 0x3a /* ':' */) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    switch (field) {
      case 'data':
        (data ??= []).push(value);
        break;
      case 'event':
        event = value;
        break;
      case 'id':
        if (!value.includes('\0')) id = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) retry = Number(value);
        break;
      default:
        break;
    }
  }
  if (data === undefined) return null;
  return { event: event === '' ? undefined : event, data: data.join('\n'), id, retry };
}

/** Parses a whole byte stream at once (tests, fixtures). */
export function parseSse(bytes: Buffer, opts?: SseParserOptions): { raw: Buffer; event: SseEvent | null }[] {
  const out: { raw: Buffer; event: SseEvent | null }[] = [];
  const p = new SseParser(opts);
  const on: OnEvent = (raw, event) => out.push({ raw, event });
  p.push(bytes, on);
  p.end(on);
  return out;
}
