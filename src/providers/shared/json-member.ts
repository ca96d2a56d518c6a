/**
 * Byte-level lookup of one top-level member of a JSON object, so that a rewriting tap
 * can cut it out while leaving every other byte as the upstream sent it.
 */
export interface MemberRange {
  /** The bytes to remove: the member plus one adjacent comma (and the spaces after a leading member). */
  from: number;
  to: number;
  valueStart: number;
  valueEnd: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

/** Finds `"key": value` at the top level of the object that starts at `start`; undefined if absent or malformed. */
export function findTopLevelMember(buf: Buffer, start: number, key: string): MemberRange | undefined {
  if (buf[start] !== LBRACE) return undefined;
  const want = Buffer.from(JSON.stringify(key));
  let prevComma = -1;
  let i = start + 1;
  for (;;) {
    const keyStart = skipSpace(buf, i);
    if (buf[keyStart] !== QUOTE) return undefined;
    const keyEnd = skipString(buf, keyStart);
    if (keyEnd < 0) return undefined;
    const colon = skipSpace(buf, keyEnd);
    if (buf[colon] !== COLON) return undefined;
    const valueStart = skipSpace(buf, colon + 1);
    const valueEnd = skipValue(buf, valueStart);
    if (valueEnd < 0) return undefined;
    const after = skipSpace(buf, valueEnd);
    if (keyEnd - keyStart === want.length && buf.compare(want, 0, want.length, keyStart, keyEnd) === 0) {
      if (prevComma >= 0) return { from: prevComma, to: valueEnd, valueStart, valueEnd };
      const to = buf[after] === COMMA ? skipSpace(buf, after + 1) : valueEnd;
      return { from: keyStart, to, valueStart, valueEnd };
    }
    if (buf[after] !== COMMA) return undefined;
    prevComma = after;
    i = after + 1;
  }
}

export function skipSpace(buf: Buffer, from: number): number {
  let i = from;
  for (;;) {
    const b = buf[i];
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return i;
    i++;
  }
}

/** Index just past the string that opens at `at`, or -1 if it does not close. */
function skipString(buf: Buffer, at: number): number {
  let from = at + 1;
  for (;;) {
    // indexOf is native and fast; content strings are most of a chunk's bytes.
    const q = buf.indexOf(QUOTE, from);
    if (q < 0) return -1;
    let slashes = 0;
    while (buf[q - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return q + 1;
    from = q + 1;
  }
}

/** Index just past the JSON value that starts at `at`, or -1 if it does not end in `buf`. */
export function skipValue(buf: Buffer, at: number): number {
  const b = buf[at];
  if (b === QUOTE) return skipString(buf, at);
  if (b === LBRACE || b === LBRACKET) return skipComposite(buf, at);
  let i = at;
  for (;;) {
    const c = buf[i];
    if (c === undefined) return -1;
    if (c === COMMA || c === RBRACE || c === RBRACKET || c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) return i === at ? -1 : i;
    i++;
  }
}

function skipComposite(buf: Buffer, at: number): number {
  let depth = 0;
  let i = at;
  while (i < buf.length) {
    const b = buf[i];
    if (b === QUOTE) {
      i = skipString(buf, i);
      if (i < 0) return -1;
      continue;
    }
    if (b === LBRACE || b === LBRACKET) depth++;
    else if (b === RBRACE || b === RBRACKET) {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  return -1;
}

/** Byte ranges of the elements of the JSON array that opens at `at`; undefined if it is not a well-formed array. */
export function arrayElements(buf: Buffer, at: number): { start: number; end: number }[] | undefined {
  if (buf[at] !== LBRACKET) return undefined;
  const out: { start: number; end: number }[] = [];
  let i = skipSpace(buf, at + 1);
  if (buf[i] === RBRACKET) return out;
  for (;;) {
    const end = skipValue(buf, i);
    if (end < 0) return undefined;
    out.push({ start: i, end });
    const after = skipSpace(buf, end);
    if (buf[after] === RBRACKET) return out;
    if (buf[after] !== COMMA) return undefined;
    i = skipSpace(buf, after + 1);
  }
}
