/** Base64 characters decoded at a time (a multiple of 4): the document is never held decoded whole. */
const CHUNK_CHARS = 256 * 1024;
/** Bytes of one chunk kept with the next, so that a marker cut in two is still seen. */
const OVERLAP = 32;

/**
 * How many pages a base64 PDF has, from its `/Type /Page` objects; undefined when that count
 * cannot be trusted: not a PDF, no page object seen, or objects packed in compressed object
 * streams (`/ObjStm`, PDF 1.5+), where page objects are not visible without inflating them. A
 * page object an incremental update replaced is counted twice, which errs on the high side.
 */
export function pdfPages(base64: string): number | undefined {
  let pages = 0;
  let tail = '';
  for (let at = 0; at < base64.length; at += CHUNK_CHARS) {
    const part = base64.slice(at, at + CHUNK_CHARS);
    const bytes = Buffer.from(part, 'base64');
    // Whitespace or other stray characters shift the 4-character groups of the chunks after: stop trusting the count.
    if (part.length === CHUNK_CHARS && bytes.length !== (CHUNK_CHARS / 4) * 3) return undefined;
    const text = tail + bytes.toString('latin1');
    if (at === 0 && !text.startsWith('%PDF-')) return undefined;
    if (text.includes('/ObjStm')) return undefined;
    // A page object is `/Type /Page` not followed by a letter (`/Pages` is a node of the page tree).
    // One wholly in `tail` was counted with the chunk before.
    for (const m of text.matchAll(/\/Type\s*\/Page(?![A-Za-z])/g)) if (m.index + m[0].length > tail.length) pages++;
    tail = text.slice(-OVERLAP);
  }
  return pages > 0 ? pages : undefined;
}
