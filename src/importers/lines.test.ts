import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fingerprint, fingerprintOf } from './file-mark.js';
import { scanLines } from './lines.js';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-lines-'));

function scan(text: string, from = 0, marker?: string) {
  const path = join(dir, 'f.jsonl');
  writeFileSync(path, text);
  const got: { line: string; tail: boolean }[] = [];
  const r = scanLines(path, from, (buf, s, e, tail) => got.push({ line: buf.toString('utf8', s, e), tail }), marker ? Buffer.from(marker) : undefined);
  return { got, ...r };
}

describe('scanLines', () => {
  it('hands over every complete line, stops before a torn last line, and reports where to resume', () => {
    const text = 'a\nbb\n\nccc\ndd';
    const r = scan(text);
    expect(r.got).toEqual([{ line: 'a', tail: false }, { line: 'bb', tail: false }, { line: 'ccc', tail: false }, { line: 'dd', tail: true }]);
    expect(r.end).toBe(text.indexOf('dd'));
    expect(scan(text, r.end).got).toEqual([{ line: 'dd', tail: true }]);
  });

  it('with a marker, hands over exactly the lines holding it outside a JSON string', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant('{"usage":{"a":1}}'), fc.constant('{"x":"\\"usage\\""}'), fc.constant('{"t":"x"}'), fc.string({ unit: 'grapheme-ascii' }).map((s) => s.replace(/\n/g, ''))), { maxLength: 40 }), (lines) => {
        const text = lines.map((l) => l + '\n').join('');
        const want = lines.filter((l) => /(^|[^\\])"usage"/.test(l));
        expect(scan(text, 0, '"usage"').got.map((g) => g.line)).toEqual(want);
      }),
      { numRuns: 100 },
    );
  });

  it('reads lines longer than its buffer whole', () => {
    const long = 'x'.repeat(9 * 1024 * 1024);
    const r = scan(`a\n${long}\nb\n`);
    expect(r.got.map((g) => g.line.length)).toEqual([1, long.length, 1]);
    expect(r.end).toBe(long.length + 5);
  });

  it("gives atEnd the fingerprint of the file's bytes as a second read of them would", () => {
    const line = fc.string({ unit: 'grapheme-ascii', maxLength: 700 }).map((l) => l.replace(/\n/g, ''));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.boolean(), fc.nat(), (lines, torn, cut) => {
        const path = join(dir, 'm.jsonl');
        const text = lines.join('\n') + (torn ? '' : '\n');
        writeFileSync(path, text);
        const whole = scanLines(path, 0, () => undefined, undefined, undefined, fingerprintOf);
        expect(whole.mark).toBe(fingerprint(path, whole.end));
        const from = whole.end === 0 ? 0 : cut % whole.end;
        const rest = scanLines(path, from, () => undefined, undefined, undefined, fingerprintOf);
        expect(rest.mark).toBe(fingerprint(path, rest.end));
      }),
      { numRuns: 200 },
    );
  });

  it('fingerprints a file that takes more than one read from its bytes, not the last read', () => {
    const path = join(dir, 'big.jsonl');
    // Empty lines: every read ends on a newline, so the next one lands at the buffer's start.
    // Larger than the buffer the 9 MB line above leaves (16 MiB), and no torn last line to move.
    writeFileSync(path, 'first line\n' + '\n'.repeat(17 * 1024 * 1024));
    const r = scanLines(path, 0, () => undefined, undefined, undefined, fingerprintOf);
    expect(r.mark).toBe(fingerprint(path, r.end));
  });
});
