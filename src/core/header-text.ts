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

// Visible ASCII and space, `%` aside (it is the escape).
const HEADER_SAFE = /[^\x20-\x24\x26-\x7e]/gu;

/**
 * Text a client chose (a model name) made fit for a response header: each character outside
 * visible ASCII, `%` included, percent-encoded as UTF-8 (`big-ü` as `big-%C3%BC`), so that
 * `decodeURIComponent` gives it back. Node refuses a header holding a control character or one
 * above U+00FF (the request would fail), and writes U+0080–U+00FF as single Latin-1 bytes.
 */
export function headerValue(text: string): string {
  return text.replace(HEADER_SAFE, (c) => {
    let out = '';
    for (const b of Buffer.from(c, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    return out;
  });
}
