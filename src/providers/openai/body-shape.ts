import type { Api } from '../../core/api.js';
import { isResponsesShapedChat } from './request.js';

/** Whether a body goes to the Responses API: its own routes', or a Responses body sent to chat (Cursor's). */
export function isResponsesBody(api: Api, body: Record<string, unknown>): boolean {
  return api === 'openai.responses' || api === 'openai.compact' || (api === 'openai.chat' && isResponsesShapedChat(body));
}

/** Whether a body is a Chat Completions request proper (`messages`, not a Responses body sent to chat). */
export function isChatBody(api: Api, body: Record<string, unknown>): boolean {
  return api === 'openai.chat' && !isResponsesShapedChat(body);
}

/**
 * Takes `value` out of a Responses body's `include`, and the member itself once nothing is left in
 * it. The array is replaced, not changed: `body` is a shallow copy of the parsed request.
 */
export function dropIncluded(body: Record<string, unknown>, value: string): void {
  const include = body.include;
  if (!Array.isArray(include) || !include.includes(value)) return;
  const rest = include.filter((v: unknown) => v !== value);
  if (rest.length > 0) body.include = rest;
  else delete body.include;
}
