/**
 * A header value as its sender wrote it. Node reads header bytes as Latin-1, and clients send
 * UTF-8 ("ünïcødé", "用户"): read back as UTF-8 when the bytes are UTF-8, as they were otherwise.
 */
export function headerText(v: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(v)) return v;
  const text = Buffer.from(v, 'latin1').toString('utf8');
  return text.includes('\ufffd') ? v : text;
}

/** At most `max` characters, a surrogate pair never cut in two. */
export function cutText(v: string, max: number): string {
  if (v.length <= max) return v;
  const cut = v.slice(0, max);
  return /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut;
}
