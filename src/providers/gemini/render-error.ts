import type { GatewayError } from '../../core/errors.js';
import { jsonError } from '../shared/render-error.js';
import type { RenderedError } from '../types.js';

/** `{"error":{"code","message","status"}}` (protocols.md §4.4): `code` is the HTTP status. */
export function renderGeminiError(err: GatewayError): RenderedError {
  return jsonError(err, { error: { code: err.status, message: err.publicMessage, status: geminiStatus(err.status) } });
}

/** Google's canonical status names for each HTTP status (google.rpc.Code). */
const STATUSES: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export function geminiStatus(status: number): string {
  return STATUSES[status] ?? (status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT');
}
