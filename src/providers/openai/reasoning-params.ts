import type { Api } from '../../core/api.js';

/** OpenAI's models that do not reason (GPT-4 and GPT-3.5 families, ChatGPT-4o): they refuse a reasoning effort with a 400. */
export function reasonsNot(model: string): boolean {
  return /^(?:openai\/)?(?:gpt-4|gpt-3\.5|chatgpt-4o)/.test(model.toLowerCase());
}

/**
 * A request a policy or route moved from a reasoning model to one that does not reason goes without
 * its reasoning settings, which such a model refuses ("Unsupported parameter: 'reasoning.effort' is
 * not supported with this model"): Chat's `reasoning_effort`, the Responses API's `reasoning`; and
 * without a verbosity but `medium`, the only one it takes (Chat's `verbosity`, the Responses API's
 * `text.verbosity`). `body` is a shallow copy, changed in place.
 */
export function dropReasoning(api: Api, body: Record<string, unknown>, model: string): void {
  if (!reasonsNot(model)) return;
  // A Responses body sent to chat (Cursor's) goes to the Responses API.
  const responses = api === 'openai.responses' || api === 'openai.compact' || (api === 'openai.chat' && body.messages === undefined);
  if (responses) {
    delete body.reasoning;
    const text = body.text;
    if (typeof text === 'object' && text !== null && !Array.isArray(text) && 'verbosity' in text && (text as Record<string, unknown>).verbosity !== 'medium') {
      const { verbosity: _, ...rest } = text as Record<string, unknown>;
      if (Object.keys(rest).length > 0) body.text = rest;
      else delete body.text;
    }
  } else if (api === 'openai.chat') {
    delete body.reasoning_effort;
    if ('verbosity' in body && body.verbosity !== 'medium') delete body.verbosity;
  }
}
