import * as zlib from 'node:zlib';
import type { ResponseTap } from '../providers/types.js';
import { MAX_BODY_COPY } from '../providers/shared/taps.js';
import { contentCodings, decodeContent } from './content-encoding.js';

type PartialDecode = (body: Buffer, limit: number) => Buffer;

// Each decodes as much of a body as has arrived: a stream cut short still yields what it said.
const PARTIAL: Record<string, PartialDecode> = {
  gzip: (b, limit) => zlib.gunzipSync(b, { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: limit }),
  'x-gzip': (b, limit) => zlib.gunzipSync(b, { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: limit }),
  deflate: (b, limit) => {
    try {
      return zlib.inflateSync(b, { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: limit });
    } catch {
      return zlib.inflateRawSync(b, { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: limit });
    }
  },
  br: (b, limit) => zlib.brotliDecompressSync(b, { finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH, maxOutputLength: limit }),
  zstd: (b, limit) => decodeContent(b, 'zstd', limit, null),
};

/** The codings of a response's `Content-Encoding` that the tap must undo, in the order applied; null when none, or one it cannot undo. */
export function responseCodings(contentEncoding: string | string[] | undefined): string[] | null {
  // Nearly every answer: nothing to split on the request path.
  if (contentEncoding === undefined) return null;
  const codings = contentCodings(Array.isArray(contentEncoding) ? contentEncoding.join(',') : contentEncoding);
  if (codings.length === 0 || codings.some((c) => PARTIAL[c] === undefined)) return null;
  return codings;
}

/**
 * A tap for an answer the upstream compressed although the gateway asked for none (`accept-encoding:
 * identity`): its bytes go to the client as they came, with their `content-encoding`, and the
 * tap reads a decoded copy. The copy is decoded when the body ends (or when a live row asks for
 * the usage so far), since zlib decodes a stream only asynchronously; the compressed bytes are
 * kept until then, up to MAX_BODY_COPY, past which the rest goes unread.
 */
export function decodingTap(inner: ResponseTap, codings: string[]): ResponseTap {
  const parts: Buffer[] = [];
  let kept = 0;
  let full = false;
  // How much of the decoded body the inner tap has read.
  let fed = 0;
  const ignore = () => undefined;
  const catchUp = () => {
    if (parts.length === 0) return;
    let out = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    parts.length = 0;
    parts.push(out);
    try {
      for (const c of [...codings].reverse()) out = PARTIAL[c]!(out, MAX_BODY_COPY);
    } catch {
      // Not the data its header says, or larger than the copy limit: read no further.
      return;
    }
    if (out.length > fed) {
      inner.push(out.subarray(fed), ignore);
      fed = out.length;
    }
  };
  const tap: ResponseTap = {
    push(chunk, emit) {
      emit(chunk);
      if (full) return;
      if (kept + chunk.length > MAX_BODY_COPY) {
        full = true;
        return;
      }
      parts.push(chunk);
      kept += chunk.length;
    },
    finish(complete) {
      catchUp();
      return inner.finish(complete, ignore);
    },
  };
  // What the inner tap says mid-stream, once it has read what came so far.
  const caughtUp = <T>(soFar: () => T) => () => (catchUp(), soFar());
  if (inner.usageSoFar) tap.usageSoFar = caughtUp(inner.usageSoFar.bind(inner));
  if (inner.outputSoFar) tap.outputSoFar = caughtUp(inner.outputSoFar.bind(inner));
  return tap;
}
