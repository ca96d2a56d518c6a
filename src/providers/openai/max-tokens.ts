import type { Api } from '../../core/api.js';
import { isResponsesShapedChat } from './request.js';

/**
 * OpenAI's reasoning models (the o-series, GPT-5 and later) refuse a chat request's `max_tokens`
 * with a 400 ("Use 'max_completion_tokens' instead"), which every OpenAI chat model takes.
 */
export function refusesMaxTokens(model: string): boolean {
  return /^(?:openai\/)?(?:o\d|gpt-(?:[5-9]|\d{2,})(?![\d]))/.test(model.toLowerCase());
}

/**
 * A chat request a policy or route moved to such a model asks for its cap as `max_completion_tokens`:
 * the client's `max_tokens` was valid for the model it asked for (gpt-4.1 takes it), the same
 * bound for a model that does not reason. `body` is a shallow copy, changed in place.
 */
export function capAsCompletionTokens(api: Api, body: Record<string, unknown>, model: string): void {
  if (api !== 'openai.chat' || !('max_tokens' in body) || 'max_completion_tokens' in body) return;
  if (isResponsesShapedChat(body) || !refusesMaxTokens(model)) return;
  body.max_completion_tokens = body.max_tokens;
  delete body.max_tokens;
}
