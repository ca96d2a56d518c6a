/**
 * Model globs as used in config (`gpt-*`, `claude-?-*`): `*` matches any run of
 * characters, `?` one character; everything else is literal. Matching is
 * case-insensitive because providers treat model ids that way.
 */
export interface Glob {
  test(value: string): boolean;
}

/**
 * Compiles a glob to a matcher that takes at most (value length × glob length) steps. Not a
 * regular expression: `.*` for each star backtracks exponentially in the stars, and the value,
 * a request's model, is the client's (`*claude*opus*` against a 300 KB name held the event loop
 * for 11 s; fifty stars, for ever).
 */
export function compileGlob(glob: string): Glob {
  const pattern = glob.toLowerCase();
  return { test: (value) => wildcardMatch(value.toLowerCase(), pattern) };
}

/** Greedy match that, on a mismatch, lets the last star take one more character and tries again. */
function wildcardMatch(s: string, p: string): boolean {
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  while (i < s.length) {
    const c = p[j];
    if (c === '*') {
      star = j++;
      mark = i;
    } else if (c !== undefined && (c === '?' || c === s[i])) {
      i++;
      j++;
    } else if (star >= 0) {
      j = star + 1;
      i = ++mark;
    } else return false;
  }
  while (p[j] === '*') j++;
  return j === p.length;
}

export function matchesGlob(value: string, glob: string): boolean {
  return compileGlob(glob).test(value);
}

/** A compiled list of globs; empty means "matches nothing". */
export function compileGlobs(globs: readonly string[]): (value: string) => boolean {
  const compiled = globs.map(compileGlob);
  return (value) => compiled.some((g) => g.test(value));
}
