import type { Api } from '../../core/api.js';
import { dropIncluded, isChatBody, isResponsesBody } from './body-shape.js';

/**
 * OpenAI's models that do not reason (GPT-4 and GPT-3.5 families, ChatGPT-4o, GPT-5's chat model
 * `gpt-5-chat-latest`): they refuse a reasoning effort with a 400. `gpt-5-chat` is one: OpenAI
 * refuses it encrypted reasoning (pydantic/pydantic-ai#3326, the 400 below) and every effort
 * (community.openai.com/t/1371738, the effort matrix); GPT-5.1's and later chat models take `medium`.
 */
export function reasonsNot(model: string): boolean {
  return /^(?:openai\/)?(?:gpt-4|gpt-3\.5|chatgpt-4o|gpt-5-chat)/.test(model.toLowerCase());
}

/** What a Responses request includes to get its reasoning back encrypted (Codex's, with `store: false`). */
const ENCRYPTED_REASONING = 'reasoning.encrypted_content';

/**
 * A request a policy or route moved from a reasoning model to one that does not reason goes without
 * its reasoning settings, which such a model refuses ("Unsupported parameter: 'reasoning.effort' is
 * not supported with this model"): Chat's `reasoning_effort`, the Responses API's `reasoning`; and
 * without a verbosity but `medium`, the only one it takes (Chat's `verbosity`, the Responses API's
 * `text.verbosity`). A Responses request also stops asking for `reasoning.encrypted_content` in
 * `include`, which such a model refuses: 400 "Encrypted content is not supported with this model.",
 * `param: "include"` (pydantic/pydantic-ai#3326 on gpt-5-chat-latest, NousResearch/hermes-agent#24234
 * on gpt-4o and gpt-4o-mini, ad-freiburg/grasp#14 on gpt-4.1-mini). `body` is a shallow copy,
 * changed in place.
 */
export function dropReasoning(api: Api, body: Record<string, unknown>, model: string): void {
  if (!reasonsNot(model)) return;
  if (isResponsesBody(api, body)) {
    delete body.reasoning;
    dropIncluded(body, ENCRYPTED_REASONING);
    const text = body.text;
    if (typeof text === 'object' && text !== null && !Array.isArray(text) && 'verbosity' in text && (text as Record<string, unknown>).verbosity !== 'medium') {
      const { verbosity: _, ...rest } = text as Record<string, unknown>;
      if (Object.keys(rest).length > 0) body.text = rest;
      else delete body.text;
    }
  } else if (isChatBody(api, body)) {
    delete body.reasoning_effort;
    if ('verbosity' in body && body.verbosity !== 'medium') delete body.verbosity;
  }
}
