import type { Api } from '../../core/api.js';

/** OpenAI's models that do not reason (GPT-4 and GPT-3.5 families, ChatGPT-4o): they refuse a reasoning effort with a 400. */
export function reasonsNot(model: string): boolean {
  return /^(?:openai\/)?(?:gpt-4|gpt-3\.5|chatgpt-4o)/.test(model.toLowerCase());
}

/**
 * A request a policy or route moved from a reasoning model to one that does not reason goes without
 * its reasoning settings, which such a model refuses ("Unsupported parameter: 'reasoning.effort' is
 * not supported with this model"): Chat's `reasoning_effort`, the Responses API's `reasoning`.
 * `body` is a shallow copy, changed in place.
 */
export function dropReasoning(api: Api, body: Record<string, unknown>, model: string): void {
  if (!reasonsNot(model)) return;
  if (api === 'openai.chat') {
    delete body.reasoning_effort;
    // A Responses body sent to chat (Cursor's) goes to the Responses API.
    if (body.messages === undefined) delete body.reasoning;
  } else if (api === 'openai.responses' || api === 'openai.compact') delete body.reasoning;
}
