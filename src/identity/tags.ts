const TAG_KEY = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_TAGS = 20;
const MAX_VALUE = 256;

/**
 * Parses `x-tollgate-tags: workflow=review,prompt_version=v7`. Returns an error message
 * for malformed input, because a silently dropped tag would misattribute spend.
 */
export function parseTags(header: string | undefined): { tags: Record<string, string> } | { error: string } {
  const tags: Record<string, string> = {};
  if (!header || !header.trim()) return { tags };
  const parts = header.split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length > MAX_TAGS) return { error: `x-tollgate-tags: at most ${MAX_TAGS} tags` };
  for (const part of parts) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? '' : part.slice(0, eq).trim();
    const value = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (!TAG_KEY.test(key)) return { error: `x-tollgate-tags: "${part}" is not name=value (names use letters, digits, _ . -)` };
    if (value.length === 0 || value.length > MAX_VALUE) return { error: `x-tollgate-tags: the value of "${key}" must be 1 to ${MAX_VALUE} characters` };
    // The gateway's own mark: the cache report counts such rows as breakpoints it added.
    if (key === 'cache' && value === 'auto') return { error: 'x-tollgate-tags: cache=auto is the mark the gateway sets when cache: auto adds breakpoints; give the tag another value' };
    tags[key] = value;
  }
  return { tags };
}
