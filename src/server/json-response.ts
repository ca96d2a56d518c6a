import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeContent } from '../gateway/content-encoding.js';

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendAdminError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

/**
 * Reads a small JSON body (admin requests), decoding its Content-Encoding. Resolves undefined for
 * an empty body, throws a message for bad JSON and a ContentEncodingError for a body it cannot decode.
 */
export function readJson(req: IncomingMessage, limit = 1 << 20): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) reject(new RangeError('request body too large'));
      else chunks.push(c);
    });
    req.on('end', () => {
      let text: string;
      try {
        // As the API routes take them: gzip, deflate, br or zstd, decoded within the same limit.
        text = decodeContent(Buffer.concat(chunks), req.headers['content-encoding'], limit, null).toString('utf8').trim();
      } catch (err) {
        return reject(err instanceof Error ? err : new Error(String(err)));
      }
      if (!text) return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new RangeError('request body is not valid JSON'));
      }
    });
    req.on('error', reject);
  });
}

/** A yes/no query parameter (`true`/`1`, `false`/`0`), false when absent; anything else is a RangeError (400) naming it. */
export function booleanQuery(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  if (v === null || v === 'false' || v === '0') return false;
  if (v === 'true' || v === '1') return true;
  throw new RangeError(`${name} must be true or false, not "${v}"`);
}

/** The `format` a query asks for, among `allowed` (the first is the default); anything else is a RangeError (400) naming them. */
export function queryFormat<F extends string>(query: URLSearchParams, allowed: readonly [F, ...F[]]): F {
  const format = query.get('format') ?? allowed[0];
  if (!(allowed as readonly string[]).includes(format)) throw new RangeError(`format must be ${allowed.join(' or ')}, not "${format}"`);
  return format as F;
}
