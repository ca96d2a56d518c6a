import type { GatewayError } from '../../core/errors.js';
import { jsonError } from '../shared/render-error.js';
import type { RenderedError } from '../types.js';

/** `{"error":{"code","message","status"}}` (protocols.md §4.4): `code` is the HTTP status. */
export function renderGeminiError(err: GatewayError): RenderedError {
  // Google's error model carries machine-readable facts as an ErrorInfo detail.
  const details = err.details ? [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: err.code.toUpperCase(), domain: 'tollgate', metadata: stringValues(err.details) }] : undefined;
  const status = err.code === 'budget_exceeded' ? 'RESOURCE_EXHAUSTED' : geminiStatus(err.status);
  return jsonError(err, { error: { code: err.status, message: err.publicMessage, status, ...(details ? { details } : {}) } });
}

/** ErrorInfo metadata is a map of strings. */
function stringValues(o: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return out;
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
