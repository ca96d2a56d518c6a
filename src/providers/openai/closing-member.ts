import { parseJson } from '../shared/json.js';

/**
 * The value of the last `"key":` member in the end of a JSON body, when that value is an object
 * or a string; undefined otherwise. Only for keys that never occur unescaped elsewhere in the
 * tail: inside a string a quote is escaped, so `"key"` cannot match there.
 */
export function closingMember(tail: string, key: string): unknown {
  const at = tail.lastIndexOf(`"${key}"`);
  if (at < 0) return undefined;
  const m = AFTER_KEY.exec(tail.slice(at + key.length + 2, at + key.length + 2 + 16));
  if (m === null) return undefined;
  const start = at + key.length + 2 + m[0].length - 1;
  const end = tail[start] === '{' ? objectEnd(tail, start) : stringEnd(tail, start);
  return end < 0 ? undefined : parseJson(tail.slice(start, end));
}

const AFTER_KEY = /^\s*:\s*[{"]/;

/** Index just past the object that opens at `at`, or -1. */
function objectEnd(text: string, at: number): number {
  let depth = 0;
  for (let i = at; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      i = stringEnd(text, i) - 1;
      if (i < 0) return -1;
    } else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return -1;
}

/** Index just past the string that opens at `at`, or -1. */
function stringEnd(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i + 1;
  }
  return -1;
}
