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

/** A body sent as a media type the route does not read: answered 415 `unsupported_media_type`. */
export class UnsupportedMediaType extends Error {
  readonly accepted: readonly string[];
  constructor(message: string, accepted: readonly string[]) {
    super(message);
    this.name = 'UnsupportedMediaType';
    this.accepted = accepted;
  }
}

/** What a JSON body may be sent as. */
export const JSON_TYPES = ['application/json'] as const;
/** What a body of JSON lines may be sent as: the names in use for NDJSON / JSON Lines. */
export const JSON_LINES_TYPES = ['application/x-ndjson', 'application/jsonl', 'application/x-jsonlines', 'application/jsonlines'] as const;
const CHARSETS = ['utf-8', 'utf8', 'us-ascii'];

/**
 * Refuses (UnsupportedMediaType) a request body whose Content-Type is missing or not one of
 * `accepted`, or names a charset other than UTF-8 or its subset US-ASCII (the body is read as UTF-8, RFC 8259 §8.1).
 * Parameters are otherwise ignored (`application/json; charset=utf-8`). A request without a body
 * (no Content-Length, or 0, and no Transfer-Encoding) needs none: an approval without a note.
 * Checked before the body is read: a form or text sent by mistake is never read as JSON.
 */
export function checkBodyType(req: IncomingMessage, accepted: readonly string[]): void {
  const length = req.headers['content-length'];
  if (req.headers['transfer-encoding'] === undefined && (length === undefined || Number(length) === 0)) return;
  const header = req.headers['content-type'];
  const expected = accepted.length === 1 ? accepted[0]! : `${accepted.slice(0, -1).join(', ')} or ${accepted.at(-1)!}`;
  const route = `${req.method ?? 'POST'} ${req.url?.split('?')[0] ?? ''}`;
  if (header === undefined || header.trim() === '') throw new UnsupportedMediaType(`${route} takes a body of Content-Type ${expected}; this request has a body and no Content-Type`, accepted);
  const [type = '', ...params] = header.split(';').map((p) => p.trim());
  if (!accepted.includes(type.toLowerCase())) throw new UnsupportedMediaType(`${route} takes a body of Content-Type ${expected}, not "${type}"`, accepted);
  const charset = params.map((p) => /^charset\s*=\s*"?([^"]*)"?$/i.exec(p)?.[1]).find((c) => c !== undefined);
  if (charset !== undefined && !CHARSETS.includes(charset.toLowerCase())) throw new UnsupportedMediaType(`${route} reads its body as UTF-8, not charset "${charset}": send it as UTF-8`, accepted);
}

/**
 * Reads a small JSON body (admin requests), decoding its Content-Encoding. Resolves undefined for
 * an empty body, throws a message for bad JSON, a ContentEncodingError for a body it cannot decode
 * and UnsupportedMediaType for one not sent as JSON (checkBodyType).
 */
export function readJson(req: IncomingMessage, limit = 1 << 20): Promise<unknown> {
  return new Promise((resolve, reject) => {
    checkBodyType(req, JSON_TYPES);
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
