import { anthropicErrorType } from '../../providers/anthropic/render-error.js';
import { errorFromBody, errorFromValue } from '../../providers/shared/upstream-error.js';
import { anthropicEvent } from '../sse-out.js';

/**
 * An OpenAI-style error as the Anthropic error a client expects (protocols.md §1.5 → §3.5).
 * The status is kept, so SDK retries behave as they would against the upstream; the
 * type follows the status; the upstream's own type and code travel in `tollgate`.
 */
export function anthropicErrorBody(status: number, text: string | undefined, requestId: string): { status: number; body: string } {
  const e = errorFromBody(text, status);
  const type = status === 503 ? 'overloaded_error' : anthropicErrorType(status);
  const body = { type: 'error', error: { type, message: e.message, tollgate: { upstream_status: status, upstream_type: e.type } }, request_id: requestId };
  return { status, body: JSON.stringify(body) };
}

/** An error inside a 200 stream (`data: {"error":…}`) as Anthropic's `event: error`. */
export function anthropicStreamError(chunk: unknown): string {
  const e = errorFromValue(chunk) ?? { type: 'error', message: 'The upstream stream failed.' };
  return anthropicEvent('error', { error: { type: streamErrorType(e.type), message: e.message } });
}

function streamErrorType(upstream: string): string {
  if (/rate|quota|429/i.test(upstream)) return 'rate_limit_error';
  if (/overload|unavailable|503|529/i.test(upstream)) return 'overloaded_error';
  if (/invalid|400/i.test(upstream)) return 'invalid_request_error';
  return 'api_error';
}

