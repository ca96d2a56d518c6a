import type { ServerResponse } from 'node:http';
import { type ErrorCode, GatewayError, toGatewayError } from '../core/errors.js';
import type { DialectAdapter } from '../providers/types.js';
import { ContentEncodingError } from './content-encoding.js';

// What the proxy answers when a request cannot go upstream as it came.

export function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new GatewayError('invalid_json', `The request body is not valid JSON: ${(err as Error).message}`);
  }
}

export function sendError(res: ServerResponse, adapter: DialectAdapter, err: GatewayError, id: string): void {
  const r = adapter.renderError(err, id);
  res.writeHead(r.status, { ...r.headers, 'content-length': Buffer.byteLength(r.body) });
  res.end(r.body);
}

const ENCODING_ERRORS: Record<ContentEncodingError['status'], ErrorCode> = { 400: 'invalid_request', 413: 'body_too_large', 415: 'unsupported_encoding' };

export function encodingError(err: unknown): GatewayError {
  return err instanceof ContentEncodingError ? new GatewayError(ENCODING_ERRORS[err.status], err.message) : toGatewayError(err);
}
