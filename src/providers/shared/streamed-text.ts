import { tokensOfChars } from '../../core/usage.js';

/**
 * The size of the text a stream's delta events carry (text, thinking, tool arguments), counted
 * for a stream cut before its final usage (Metered.outputEstimate). Readers measure each delta as
 * it passes, from the event's text, never parsing it: in a chunk of whole events (latin1, one
 * character a byte) the JSON-escaped string's length is its bytes, and an event the SSE parser
 * decoded is measured as UTF-8 too, so that how the stream was cut into chunks does not change the count.
 */
export class DeltaMeter {
  /** Bytes measured so far. */
  bytes = 0;
  /**
   * Where the last delta's text opened, from its data's start. A provider writes every delta of a
   * stream alike, so the next one is looked for there first: a few comparisons rather than a search
   * through the event (the tap's CPU, docs/benchmarks.md).
   */
  private hint = -1;
  /** The last two letters of the name of the member found at the hint, last first. */
  private last1 = 0;
  private last2 = 0;

  /**
   * `member`: a global regular expression ending at the opening quote of a member whose string is the
   * delta's text, for the first delta and any the hint misses.
   */
  private readonly member: RegExp;

  /**
   * `sibling`: sticky, the same members, tried after the text's string where a comma follows it, for a delta
   * that may hold more than one (a chat delta's `"content":""` before its `"reasoning"`): a character read
   * for the usual delta, whose text closes its object.
   */
  private readonly sibling: RegExp | undefined;

  constructor(member: RegExp, sibling?: RegExp) {
    this.member = member;
    this.sibling = sibling;
  }

  /**
   * The bytes of the text of the delta in text[from, to), the data of one event (`decoded`: the parser's
   * text, UTF-16, rather than latin1), to add to `bytes`. With `last`, the text is the data's last member
   * (Anthropic's `…"text":"…"}}`): where the data ends tells where it ends.
   */
  size(text: string, from: number, to: number, decoded: boolean, last = false): number {
    let open = from + this.hint;
    if (this.hint < 0 || open > to || !this.namedAt(text, open - 3)) {
      // The hint was never set, or this event is written otherwise: search.
      this.member.lastIndex = from;
      const m = this.member.exec(text);
      if (m === null || m.index >= to) return 0;
      open = m.index + m[0].length;
      // Only a member written without white space (`"name":"`) is looked for at the hint.
      const compact = text.charCodeAt(open - 2) === 0x3a && text.charCodeAt(open - 3) === 0x22;
      this.hint = compact ? open - from : -1;
      this.last1 = text.charCodeAt(open - 4);
      this.last2 = text.charCodeAt(open - 5);
    }
    let close = last && closesLast(text, to) ? to - 3 : stringEnd(text, open, to);
    let n = close > open ? (decoded ? utf8Bytes(text, open, close) : close - open) : 0;
    const sibling = this.sibling;
    while (sibling !== undefined && close + 1 < to && text.charCodeAt(close + 1) === 0x2c) {
      sibling.lastIndex = close + 2;
      if (!sibling.test(text) || sibling.lastIndex > to) break;
      open = sibling.lastIndex;
      close = stringEnd(text, open, to);
      if (close > open) n += decoded ? utf8Bytes(text, open, close) : close - open;
    }
    return n;
  }

  /**
   * The bytes of every delta text in text[from, to), wherever it is: for an event that may hold several
   * (parallel tool calls, a Gemini chunk's parts), at the cost of a search through all of it. `test`, not
   * `exec`: a match object for each text cost about as much as the search.
   */
  sizeAll(text: string, from: number, to: number, decoded: boolean): number {
    let n = 0;
    const member = this.member;
    member.lastIndex = from;
    while (member.test(text)) {
      const open = member.lastIndex;
      if (open > to) break;
      const close = stringEnd(text, open, to);
      if (close > open) n += decoded ? utf8Bytes(text, open, close) : close - open;
      member.lastIndex = close + 1;
    }
    return n;
  }

  /**
   * Whether `…xy":"` ends at `colon + 3`, `xy` the last two letters of the name last found: a few
   * character reads, where comparing names cost half as much as the tap's whole reading of the event.
   * An unescaped `":"` is never inside a JSON string, and at the offset of the last delta's text in an
   * event written alike, with the same two letters before it, it opens the delta's text.
   */
  private namedAt(text: string, colon: number): boolean {
    return text.charCodeAt(colon) === 0x22 && text.charCodeAt(colon + 1) === 0x3a && text.charCodeAt(colon + 2) === 0x22 && text.charCodeAt(colon - 1) === this.last1 && text.charCodeAt(colon - 2) === this.last2;
  }
}

/** The output tokens a meter's text comes to so far, for a row journaled mid-stream (ResponseTap.outputSoFar); undefined before any. */
export function tokensSoFar(meter: DeltaMeter): number | undefined {
  return meter.bytes > 0 ? tokensOfChars(meter.bytes) : undefined;
}

/** The UTF-8 bytes of text[from, to), counted in place: a slice and Buffer.byteLength cost more on these short texts. */
function utf8Bytes(text: string, from: number, to: number): number {
  // A long text (a Gemini chunk's) is counted natively: three times as fast as the loop at 100 characters.
  if (to - from > 64) return Buffer.byteLength(text.slice(from, to));
  let n = to - from;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    // Each half of a surrogate pair is 2 of its 4 bytes.
    if (c >= 0x80) n += c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 1 : 2;
  }
  return n;
}

/** Whether the data ending at `to` ends `"}}`: a string that closes the delta and the event's object. */
function closesLast(text: string, to: number): boolean {
  return text.charCodeAt(to - 1) === 0x7d && text.charCodeAt(to - 2) === 0x7d && text.charCodeAt(to - 3) === 0x22 && text.charCodeAt(to - 4) !== 0x5c;
}

/** Where the JSON string opening at `open` (just past its quote) closes before `to`, or `to`. */
function stringEnd(text: string, open: number, to: number): number {
  for (let q = text.indexOf('"', open); q >= 0 && q < to; q = text.indexOf('"', q + 1)) {
    let slashes = 0;
    while (text.charCodeAt(q - 1 - slashes) === 0x5c) slashes++;
    if (slashes % 2 === 0) return q;
  }
  return to;
}
