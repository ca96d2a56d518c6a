import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ContentEncodingError, decodeContent } from './content-encoding.js';

const BODY = '{"model":"gpt-5","messages":[{"role":"user","content":"hi"}]}';
// Made with the zstd CLI (Node 20 cannot compress zstd): BODY, and 1 MiB of zeros.
const BODY_ZSTD = Buffer.from('KLUv/SQ9vQEA0sMMEaDthR2DitnbWiMAkf2GqYpDk8yrdD1sCxubg7/teP0ufpdD34tK97KDiwAdun7tYXYZANcPPbs=', 'base64');
const ZEROS_ZSTD = Buffer.from('KLUv/aQAABAATAAACAABAPz/ORACAgAQAAIAEAACABAAAgAQAAIAEAACABAAAwAQAPE+FuE=', 'base64');
const LIMIT = 1024 * 1024;

const failure = (f: () => unknown): ContentEncodingError => {
  try {
    f();
  } catch (err) {
    if (err instanceof ContentEncodingError) return err;
    throw err;
  }
  throw new Error('expected a ContentEncodingError');
};

describe('decodeContent', () => {
  it('passes a body with no coding, or identity, through as the same buffer', () => {
    const b = Buffer.from(BODY);
    expect(decodeContent(b, undefined, LIMIT)).toBe(b);
    expect(decodeContent(b, ' identity ', LIMIT)).toBe(b);
  });

  it.each([
    ['gzip', gzipSync(BODY)],
    ['x-gzip', gzipSync(BODY)],
    ['deflate', deflateSync(BODY)],
    ['deflate', deflateRawSync(BODY)],
    ['br', brotliCompressSync(BODY)],
    ['zstd', BODY_ZSTD],
    ['ZSTD', BODY_ZSTD],
  ])('decodes %s', (coding, body) => {
    expect(decodeContent(body, coding, LIMIT).toString()).toBe(BODY);
  });

  it('undoes several codings, the last applied first', () => {
    expect(decodeContent(gzipSync(brotliCompressSync(BODY)), 'br, gzip', LIMIT).toString()).toBe(BODY);
  });

  it('refuses an unknown coding with 415, naming what is supported', () => {
    const e = failure(() => decodeContent(Buffer.from(BODY), 'compress', LIMIT));
    expect(e.status).toBe(415);
    expect(e.message).toBe('Content-Encoding compress is not supported; send gzip, deflate, br, zstd or no encoding.');
  });

  it('refuses corrupt data with 400', () => {
    for (const coding of ['gzip', 'br', 'zstd', 'deflate']) {
      const e = failure(() => decodeContent(Buffer.from('not compressed at all'), coding, LIMIT));
      expect(e.status, coding).toBe(400);
      expect(e.message).toContain(`not valid ${coding} data`);
    }
    expect(failure(() => decodeContent(BODY_ZSTD.subarray(0, 30), 'zstd', LIMIT)).status).toBe(400);
  });

  it('stops a body that inflates past the limit with 413', () => {
    const zeros = Buffer.alloc(LIMIT);
    for (const [coding, body] of [
      ['gzip', gzipSync(zeros)],
      ['br', brotliCompressSync(zeros)],
      ['deflate', deflateSync(zeros)],
      ['zstd', ZEROS_ZSTD],
    ] as const) {
      const e = failure(() => decodeContent(body, coding, 1000));
      expect(e.status, coding).toBe(413);
      expect(e.message).toBe("The request body decompresses to more than 1000 bytes, this gateway's limit (server.max_body_mb).");
    }
    expect(decodeContent(ZEROS_ZSTD, 'zstd', LIMIT).equals(zeros)).toBe(true);
    // A route whose limit no setting changes (the admin API's JSON) names none.
    expect(failure(() => decodeContent(gzipSync(zeros), 'gzip', 1000, null)).message).toBe('The request body decompresses to more than 1000 bytes, the limit of this route.');
  });
});
