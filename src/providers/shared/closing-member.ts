import { parseJson } from './json.js';
import { skipSpace, skipValue } from './json-member.js';

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const RBRACE = 0x7d;

/**
 * The value of a `"key":` member of the object that closes a JSON body, read from the body's
 * last bytes, or undefined. Only a member of that object counts: after its value come only
 * that object's other members, its `}`, and the end of the body. The same key nested deeper
 * (a tool call's arguments may use any name) is passed over, and a body cut short reads
 * nothing. Inside a string a quote is escaped, so `"key"` cannot match there.
 */
export function closingMember(tail: Buffer, key: string): unknown {
  const quoted = JSON.stringify(key);
  for (let at = tail.lastIndexOf(quoted); at >= 0; at = at > 0 ? tail.lastIndexOf(quoted, at - 1) : -1) {
    const colon = skipSpace(tail, at + Buffer.byteLength(quoted));
    if (tail[colon] !== COLON) continue;
    const start = skipSpace(tail, colon + 1);
    const end = skipValue(tail, start);
    if (end >= 0 && closesBody(tail, end)) return parseJson(tail.toString('utf8', start, end));
  }
  return undefined;
}

/** Whether, from `at`, only further members of the same object follow, then its `}` and the end of the body. */
function closesBody(buf: Buffer, at: number): boolean {
  let i = skipSpace(buf, at);
  while (buf[i] === COMMA) {
    const keyStart = skipSpace(buf, i + 1);
    if (buf[keyStart] !== QUOTE) return false;
    const keyEnd = skipValue(buf, keyStart);
    if (keyEnd < 0) return false;
    const colon = skipSpace(buf, keyEnd);
    if (buf[colon] !== COLON) return false;
    const valueEnd = skipValue(buf, skipSpace(buf, colon + 1));
    if (valueEnd < 0) return false;
    i = skipSpace(buf, valueEnd);
  }
  return buf[i] === RBRACE && skipSpace(buf, i + 1) === buf.length;
}
