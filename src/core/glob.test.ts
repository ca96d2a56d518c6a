import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileGlob, compileGlobs, matchesGlob } from './glob.js';

/** The regular expression the globs used to be compiled to: the reference for what matches. */
function reference(glob: string): RegExp {
  let src = '';
  for (const ch of glob) src += ch === '*' ? '[^]*' : ch === '?' ? '[^]' : ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  return new RegExp(`^${src}$`, 'i');
}

describe('model globs', () => {
  it('match a star to any run, a question mark to one character, the rest literally and in any case', () => {
    expect(matchesGlob('gpt-5-mini', 'gpt-*')).toBe(true);
    expect(matchesGlob('GPT-5', 'gpt-*')).toBe(true);
    expect(matchesGlob('gpt', 'gpt-*')).toBe(false);
    expect(matchesGlob('claude-3-opus', 'claude-?-*')).toBe(true);
    expect(matchesGlob('claude-35-opus', 'claude-?-opus')).toBe(false);
    expect(matchesGlob('o3', 'o*')).toBe(true);
    expect(matchesGlob('a.b', 'a?b')).toBe(true);
    expect(matchesGlob('axb', 'a.b')).toBe(false);
    expect(matchesGlob('', '*')).toBe(true);
    expect(matchesGlob('x', '')).toBe(false);
    expect(compileGlobs([])('gpt-5')).toBe(false);
    expect(compileGlobs(['claude-*', 'gpt-*'])('gpt-5')).toBe(true);
  });

  it('match a name with a line break as a whole (a deny rule is not slipped past with one)', () => {
    expect(matchesGlob('gpt-4\nanything', 'gpt-4*')).toBe(true);
  });

  it('agree with the regular expression on any glob and name', () => {
    const chars = fc.constantFrom('a', 'b', 'A', '-', '.', '*', '?');
    fc.assert(
      fc.property(fc.string({ unit: chars, maxLength: 8 }), fc.string({ unit: fc.constantFrom('a', 'b', 'B', '-', '.', '\n'), maxLength: 12 }), (glob, name) => {
        expect(compileGlob(glob).test(name)).toBe(reference(glob).test(name));
      }),
      { numRuns: 2000 },
    );
  });

  it('answer in steps bounded by the name times the glob, for the patterns that made a regular expression backtrack for ever', () => {
    // Each held the event loop for seconds to hours as a regular expression.
    expect(matchesGlob('claude'.repeat(50_000), '*claude*opus*')).toBe(false);
    expect(matchesGlob('ab'.repeat(8_000), '*a*b*c*')).toBe(false);
    expect(matchesGlob('aaaaaaaaaa', `${'*'.repeat(50)}x`)).toBe(false);
  });
});
