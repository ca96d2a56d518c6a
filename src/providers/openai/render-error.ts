import type { GatewayError } from '../../core/errors.js';
import { jsonError } from '../shared/render-error.js';
import type { RenderedError } from '../types.js';

/** `{"error":{"message","type","param","code"}}` (protocols.md §1.5); `code` is the gateway's stable code. */
export function renderOpenaiError(err: GatewayError): RenderedError {
  const type = err.shape?.type ?? (err.code === 'budget_exceeded' ? 'budget_exceeded' : openaiErrorType(err.status));
  return jsonError(err, { error: { message: err.publicMessage, type, param: null, code: err.code, ...err.shape?.fields, ...(err.details ? { tollgate: err.details } : {}) } });
}

export function openaiErrorType(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 429:
      return 'rate_limit_error';
    case 503:
      return 'service_unavailable_error';
    default:
      return status >= 500 ? 'server_error' : 'invalid_request_error';
  }
}
