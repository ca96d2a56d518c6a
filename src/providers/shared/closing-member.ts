import { parseJson } from './json.js';
import { skipSpace, skipValue } from './json-member.js';

/**
 * The value of the last `"key":` member in the end of a JSON body, or undefined. Only for keys
 * that never occur unescaped elsewhere in the tail: inside a string a quote is escaped, so
 * `"key"` cannot match there.
 */
export function closingMember(tail: Buffer, key: string): unknown {
  const at = tail.lastIndexOf(JSON.stringify(key));
  if (at < 0) return undefined;
  const colon = skipSpace(tail, at + key.length + 2);
  if (tail[colon] !== 0x3a) return undefined;
  const start = skipSpace(tail, colon + 1);
  const end = skipValue(tail, start);
  return end < 0 ? undefined : parseJson(tail.toString('utf8', start, end));
}
