import * as zlib from 'node:zlib';
import { Decompress } from 'fzstd';
import { byteSize } from '../core/count-text.js';

/** Why a body could not be decoded: an unknown coding (415), a result over the limit (413), or corrupt data (400). */
export class ContentEncodingError extends Error {
  readonly status: 400 | 413 | 415;

  constructor(status: 400 | 413 | 415, message: string) {
    super(message);
    this.name = 'ContentEncodingError';
    this.status = status;
  }
}

export const SUPPORTED_CODINGS = ['gzip', 'deflate', 'br', 'zstd'] as const;

type Inflate = (body: Buffer, limit: number) => Buffer;

// Node 22.15+ has zstd in zlib; Node 20 decodes it with fzstd.
const nodeZstd = (zlib as { zstdDecompressSync?: (b: Buffer, o: { maxOutputLength: number }) => Buffer }).zstdDecompressSync;

const DECODERS: Record<string, Inflate> = {
  gzip: (b, limit) => zlib.gunzipSync(b, { maxOutputLength: limit }),
  'x-gzip': (b, limit) => zlib.gunzipSync(b, { maxOutputLength: limit }),
  deflate: inflateEither,
  br: (b, limit) => zlib.brotliDecompressSync(b, { maxOutputLength: limit }),
  zstd: nodeZstd ? (b, limit) => nodeZstd(b, { maxOutputLength: limit }) : zstdWithin,
};

/** The codings a `Content-Encoding` names, in the order applied (`identity` left out). */
export function contentCodings(contentEncoding: string | undefined): string[] {
  return (contentEncoding ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
}

/**
 * Undoes a request's `Content-Encoding` (codings listed in the order they were applied,
 * so undone last first), keeping every intermediate result within `limit` bytes. `limitName`:
 * the setting that sets `limit`, named when a body decodes past it; a route with a fixed limit gives null.
 */
export function decodeContent(body: Buffer, contentEncoding: string | undefined, limit: number, limitName: string | null = 'server.max_body_mb'): Buffer {
  const codings = contentCodings(contentEncoding);
  let out = body;
  for (const coding of codings.reverse()) {
    const decode = DECODERS[coding];
    if (!decode) throw new ContentEncodingError(415, `Content-Encoding ${coding} is not supported; send ${SUPPORTED_CODINGS.join(', ')} or no encoding.`);
    try {
      out = decode(out, limit);
    } catch (err) {
      if (err instanceof ContentEncodingError) throw err;
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(limit, limitName);
      throw new ContentEncodingError(400, `The body is not valid ${coding} data: ${(err as Error).message}`);
    }
  }
  return out;
}

/** RFC 9110's deflate is zlib-wrapped; some clients send it raw. */
function inflateEither(body: Buffer, limit: number): Buffer {
  try {
    return zlib.inflateSync(body, { maxOutputLength: limit });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw err;
    return zlib.inflateRawSync(body, { maxOutputLength: limit });
  }
}

function tooLarge(limit: number, limitName: string | null): ContentEncodingError {
  return new ContentEncodingError(413, `The request body decompresses to more than ${byteSize(limit)}, ${limitName ? `this gateway's limit (${limitName})` : 'the limit of this route'}.`);
}

/** fzstd, streamed so that a small body that inflates without bound stops at the limit. */
function zstdWithin(body: Buffer, limit: number): Buffer {
  const parts: Uint8Array[] = [];
  let size = 0;
  const d = new Decompress((chunk) => {
    size += chunk.length;
    // As zlib's limit says it: decodeContent names the limit.
    if (size > limit) throw Object.assign(new RangeError(`more than ${limit} bytes`), { code: 'ERR_BUFFER_TOO_LARGE' });
    parts.push(chunk);
  });
  d.push(body, true);
  return Buffer.concat(parts, size);
}
