import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitAt } from '../testing/tap-runner.js';
import { JsonArrayScanner } from './array-scanner.js';

function scan(chunks: Buffer[], max?: number): string[] {
  const scanner = new JsonArrayScanner(max);
  const out: string[] = [];
  for (const c of chunks) scanner.push(c, (text) => out.push(text));
  return out;
}

describe('JsonArrayScanner', () => {
  it('finds each top-level element of a streamed array', () => {
    const text = '[{"a":1}\n,\r\n{"b":[{"c":2}],"d":{}}\n]';
    expect(scan([Buffer.from(text)])).toEqual(['{"a":1}', '{"b":[{"c":2}],"d":{}}']);
  });

  it('ignores braces, brackets and escaped quotes inside strings', () => {
    const el = '{"t":"a } ] [ { \\" \\\\","u":"\\\\\\"}"}';
    expect(scan([Buffer.from(`[${el},${el}]`)])).toEqual([el, el]);
  });

  it('treats a bare top-level object (an error body) as one element', () => {
    expect(scan([Buffer.from('{"error":{"code":500}}')])).toEqual(['{"error":{"code":500}}']);
  });

  it('keeps multi-byte characters split across chunks intact', () => {
    const text = '[{"t":"météo 🌧"}]';
    expect(scan(splitAt(Buffer.from(text), [1, 12, 13, 14, 17, 18]))).toEqual(['{"t":"météo 🌧"}']);
  });

  it('skips an element larger than the limit and recovers at the next', () => {
    expect(scan([Buffer.from('[{"big":"xxxxxxxxxxxxxxxxxxxx"},{"s":1}]')], 16)).toEqual(['{"s":1}']);
  });

  it('finds the same elements however the bytes are split', () => {
    const value = fc.jsonValue({ maxDepth: 3 });
    const element = fc.dictionary(fc.string({ maxLength: 6 }), value, { maxKeys: 4 });
    fc.assert(
      fc.property(fc.array(element, { maxLength: 5 }), fc.array(fc.nat(), { maxLength: 20 }), fc.boolean(), (elements, cuts, pretty) => {
        // Google's own framing: pretty-printed elements separated by "\n,\r\n".
        const text = pretty ? `[${elements.map((e) => JSON.stringify(e, null, 2)).join('\n,\r\n')}\n]` : JSON.stringify(elements);
        const found = scan(splitAt(Buffer.from(text), cuts));
        expect(found.map((t) => JSON.parse(t) as unknown)).toEqual(elements.map((e) => JSON.parse(JSON.stringify(e)) as unknown));
      }),
      { numRuns: 400 },
    );
  });
});
