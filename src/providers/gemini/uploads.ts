import type { HeaderBag } from '../types.js';

/**
 * What a request to Gemini's upload path (`/upload/v1beta/files`) says of its upload, in the
 * resumable protocol the genai SDK speaks: a start (`X-Goog-Upload-Command: start`, the file's
 * metadata as JSON, its size in `X-Goog-Upload-Header-Content-Length`) is answered with an upload
 * URL (`x-goog-upload-url`, the same path with an `upload_id`), to which the bytes then go in one
 * or more requests (`upload`, the last `upload, finalize`), each at its `X-Goog-Upload-Offset`.
 */
export interface UploadRequest {
  /** The upload the request goes on with (a chunk, a finalize, a query or a cancel); absent for a start or a whole file sent at once. */
  uploadId?: string;
  /** Where the request's bytes begin in the file: 0 but for a chunk after the first. */
  offset: number;
  /** The file's whole size, as a start declares it. */
  declaredSize?: number;
}

export function readUploadRequest(headers: HeaderBag, query: URLSearchParams): UploadRequest {
  const id = query.get('upload_id') ?? undefined;
  if (id !== undefined && id !== '') return { uploadId: id, offset: count(headers['x-goog-upload-offset']) ?? 0 };
  const size = count(headers['x-goog-upload-header-content-length']);
  return size === undefined ? { offset: 0 } : { offset: 0, declaredSize: size };
}

function count(v: string | undefined): number | undefined {
  const n = v === undefined || !/^\s*\d+\s*$/.test(v) ? NaN : Number(v);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * The upload URL the client is given for the provider's (`x-goog-upload-url`): its path and query,
 * `upload_id` included, at the gateway's own base (`gatewayBase`, with the client's `/p/{provider}`),
 * so that the bytes come through the gateway, checked and streamed, rather than to Google with no
 * key (the upload URL alone lets whoever holds it send the bytes). Where the provider's URL is under
 * its base URL (a proxy's path), that base is taken off, as the gateway puts it back going upstream.
 * A `key` in the provider's URL is never passed on (it could be the provider's key); the client's own
 * `key` goes in instead when it sent its key so (`clientKey`), so that a client that uses the URL as
 * it is given, without a header, is still known.
 *
 * @example
 * gatewayUploadUrl('https://generativelanguage.googleapis.com/upload/v1beta/files?upload_id=AB&upload_protocol=resumable',
 *   'https://generativelanguage.googleapis.com', 'http://gw:8790/p/gemini')
 * // 'http://gw:8790/p/gemini/upload/v1beta/files?upload_id=AB&upload_protocol=resumable'
 */
export function gatewayUploadUrl(upstream: string, providerBase: string, gatewayBase: string, clientKey?: string): string | undefined {
  let url: URL;
  let base: URL;
  try {
    base = new URL(providerBase);
    url = new URL(upstream, base);
  } catch {
    return undefined;
  }
  const prefix = base.pathname.replace(/\/+$/, '');
  let path = url.pathname;
  if (url.origin === base.origin && prefix !== '' && path.startsWith(`${prefix}/`)) path = path.slice(prefix.length);
  // Each parameter as the provider wrote it, but `key`.
  const params = url.search
    .slice(1)
    .split('&')
    .filter((part) => part !== '' && new URLSearchParams(part).keys().next().value !== 'key');
  if (clientKey !== undefined) params.push(`key=${encodeURIComponent(clientKey)}`);
  return `${gatewayBase.replace(/\/+$/, '')}${path}${params.length > 0 ? `?${params.join('&')}` : ''}`;
}
