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

/** Longer than any provider's model id (Bedrock's inference-profile ARNs run to about 100 characters). */
export const MAX_MODEL_CHARS = 256;

/** A model name past MAX_MODEL_CHARS, refused: every ledger row and report would carry it. */
export function modelTooLong(model: string): GatewayError | undefined {
  if (model.length <= MAX_MODEL_CHARS) return undefined;
  return new GatewayError('invalid_request', `The model name is ${model.length} characters long; Tollgate takes names of at most ${MAX_MODEL_CHARS}.`);
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
