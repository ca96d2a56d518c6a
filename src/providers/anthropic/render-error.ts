import type { GatewayError } from '../../core/errors.js';
import { jsonError } from '../shared/render-error.js';
import type { RenderedError } from '../types.js';

/** `{"type":"error","error":{"type","message"},"request_id"}` (protocols.md §3.5). */
export function renderAnthropicError(err: GatewayError, requestId: string): RenderedError {
  return jsonError(err, {
    type: 'error',
    error: { type: err.code === 'budget_exceeded' ? 'budget_exceeded' : anthropicErrorType(err.status), message: err.publicMessage, ...(err.details ? { tollgate: err.details } : {}) },
    request_id: requestId,
  });
}

const TYPES: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  409: 'conflict_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  502: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

export function anthropicErrorType(status: number): string {
  return TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}
