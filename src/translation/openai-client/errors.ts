import { openaiErrorType } from '../../providers/openai/render-error.js';
import { errorFromBody, errorFromValue } from '../../providers/shared/upstream-error.js';
import { openaiData } from '../sse-out.js';

/**
 * An Anthropic error as the OpenAI error a client expects (protocols.md §3.5 → §1.5).
 * 529 (overloaded) becomes 503, which OpenAI clients know; every other status is kept.
 * `code` carries Anthropic's error type, so nothing of it is lost.
 */
export function openaiErrorBody(status: number, text: string | undefined): { status: number; body: string } {
  const e = errorFromBody(text, status);
  const out = status === 529 ? 503 : status;
  return { status: out, body: JSON.stringify({ error: { message: e.message, type: openaiErrorType(out), param: null, code: e.type } }) };
}

/** An upstream's in-stream error (Anthropic's `event: error`, a failed Response) as OpenAI's chat error chunk (`data: {"error":…}`, no [DONE]). */
export function openaiStreamError(data: unknown): string {
  const e = errorFromValue(data) ?? { type: 'error', message: 'The upstream stream failed.' };
  const type = /overload/.test(e.type) ? 'service_unavailable_error' : /rate/.test(e.type) ? 'rate_limit_error' : 'server_error';
  return openaiData({ error: { message: e.message, type, param: null, code: e.type } });
}

/** A 502 body for an upstream answer that could not be rebuilt as chat. */
export function openaiFailureBody(message: string): string {
  return JSON.stringify({ error: { message, type: 'server_error', param: null, code: 'untranslatable_response' } });
}
