/**
 * Model globs as used in config (`gpt-*`, `claude-?-*`): `*` matches any run of
 * characters, `?` one character; everything else is literal. Matching is
 * case-insensitive because providers treat model ids that way.
 */
export function globToRegExp(glob: string): RegExp {
  let src = '';
  for (const ch of glob) {
    if (ch === '*') src += '.*';
    else if (ch === '?') src += '.';
    else src += ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, 'i');
}

export function matchesGlob(value: string, glob: string): boolean {
  return globToRegExp(glob).test(value);
}

/** A compiled list of globs; empty means "matches nothing". */
export function compileGlobs(globs: readonly string[]): (value: string) => boolean {
  const res = globs.map(globToRegExp);
  return (value) => res.some((re) => re.test(value));
}
