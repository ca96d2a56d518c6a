import type { Api } from '../../core/api.js';
import { dropIncluded, isChatBody, isResponsesBody } from './body-shape.js';
import { reasonsNot } from './reasoning-params.js';
import { fixesSampling } from './sampling-params.js';

/**
 * Chat settings a reasoning model refuses while it reasons, at any value: 400 "Unsupported parameter:
 * 'presence_penalty' is not supported with this model." (nextai-translator/nextai-translator#1781, gpt-5-mini),
 * the same for `frequency_penalty` (lobehub/lobehub#5053, o1-preview); penalties, `logit_bias`,
 * `logprobs` (and `top_logprobs`, which needs it) all refused by the o-series
 * (community.openai.com/t/1110750, a parameter-by-model table), `logprobs` taken by GPT-5.1 and
 * later at reasoning effort `none` (vercel/ai#10932, quoting OpenAI's GPT-5.1 guide).
 */
const CHAT_REFUSED = ['presence_penalty', 'frequency_penalty', 'logit_bias', 'logprobs', 'top_logprobs'] as const;

/** The Responses API's ask for log probabilities, in `include`. */
const OUTPUT_LOGPROBS = 'message.output_text.logprobs';

/**
 * Whether `model` refuses a chat request's `stop`: o3 and o4-mini ("Not supported with latest
 * reasoning models `o3` and `o4-mini`", the openai SDK's doc comment on `stop`), GPT-5, GPT-5.1 and
 * GPT-5.2 whatever the effort: 400 "Unsupported parameter: 'stop' is not supported with this model."
 * (huggingface/smolagents#1662 on gpt-5, -mini and -nano, #1868 on gpt-5.1, #1893 on gpt-5.2). No
 * source says whether GPT-5.3 and later or o1 refuse it: they keep it.
 */
export function refusesStop(model: string): boolean {
  if (reasonsNot(model)) return false;
  return /^(?:openai\/)?(?:o[34](?!\d)|gpt-5(?:\.[0-2])?(?![.\d]))/.test(model.toLowerCase());
}

/**
 * A chat or Responses request a policy or route moved to a reasoning model goes without the settings
 * that model refuses (each a 400 the client's own model did not give): Chat's penalties,
 * `logit_bias`, `logprobs` and `top_logprobs` while the model reasons (as `fixesSampling` judges),
 * and `stop` where the model refuses it; the Responses API's `top_logprobs` and its `include` of
 * `message.output_text.logprobs`: 400 "logprobs are not supported with reasoning models.",
 * `param: "include"` (vllm-project/vllm#23319, on gpt-5-mini). `body` is a shallow copy, changed in place.
 */
export function dropReasoningRefusals(api: Api, body: Record<string, unknown>, model: string): void {
  const reasons = !reasonsNot(model) && fixesSampling(model, body);
  if (isChatBody(api, body)) {
    if (reasons) for (const key of CHAT_REFUSED) delete body[key];
    if (refusesStop(model)) delete body.stop;
  } else if (reasons && api !== 'openai.compact' && isResponsesBody(api, body)) {
    delete body.top_logprobs;
    dropIncluded(body, OUTPUT_LOGPROBS);
  }
}
