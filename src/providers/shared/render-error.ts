import type { GatewayError } from '../../core/errors.js';
import type { RenderedError } from '../types.js';

/** A JSON error response carrying the error's status and its extra headers (retry-after, allow…). */
export function jsonError(err: GatewayError, body: unknown): RenderedError {
  return {
    status: err.status,
    headers: { 'content-type': 'application/json', ...err.headers },
    body: JSON.stringify(body),
  };
}
