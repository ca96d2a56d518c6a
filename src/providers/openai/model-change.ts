import type { Api } from '../../core/api.js';
import { dropCacheOptions } from './cache-options.js';
import { capAsCompletionTokens } from './max-tokens.js';
import { dropReasoning } from './reasoning-params.js';
import { dropReasoningRefusals } from './reasoning-refusals.js';
import { dropFixedSampling } from './sampling-params.js';

/**
 * Keeps an OpenAI body valid for the model a policy, downgrade or route moved it to: what the model
 * the client asked for takes, the new one may refuse with a 400 (GPT-5.6's cache options, a chat
 * `max_tokens`, reasoning and verbosity settings and encrypted reasoning, a temperature or top_p,
 * penalties, logit bias, log probabilities or stop sequences). Each rule names its source. `body`
 * is a shallow copy, changed in place.
 */
export function fitToModel(api: Api, body: Record<string, unknown>, model: string): void {
  dropCacheOptions(api, body, model);
  capAsCompletionTokens(api, body, model);
  dropReasoning(api, body, model);
  dropFixedSampling(api, body, model);
  dropReasoningRefusals(api, body, model);
}
