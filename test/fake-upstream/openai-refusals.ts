import type { ErrorSpec } from './types.js';

/**
 * The 400s OpenAI gives a chat or Responses request for a parameter its model refuses, for the
 * scenario option `refuseUnsupported`: what a request moved to another model must not carry.
 * Written apart from the gateway's own rules (src/providers/openai/model-change.ts) so that a test
 * of those rules checks them against the upstream, each with the source of its message.
 */
export function refusal(route: string, body: Record<string, unknown>): ErrorSpec | undefined {
  const model = typeof body.model === 'string' ? body.model.toLowerCase() : '';
  if (route === 'openai.chat' && Array.isArray(body.messages)) return chatRefusal(model, body);
  if (route === 'openai.responses' || route === 'openai.chat') return responsesRefusal(model, body);
  return undefined;
}

/** GPT-4, GPT-3.5, ChatGPT-4o and GPT-5's chat model do not reason. */
const notReasoning = (m: string) => /^(?:gpt-4|gpt-3\.5|chatgpt-4o|gpt-5-chat)/.test(m);

/** The o-series and GPT-5 always reason; GPT-5.1 and later at an effort other than `none` (theirs by default). */
function reasoningNow(m: string, body: Record<string, unknown>): boolean {
  if (notReasoning(m)) return false;
  if (/^(?:o\d|gpt-5(?![.\d]))/.test(m)) return true;
  const r = body.reasoning;
  const effort = body.reasoning_effort ?? (typeof r === 'object' && r !== null ? (r as Record<string, unknown>).effort : undefined);
  return /^gpt-(?:5\.\d|[6-9])/.test(m) && effort !== undefined && effort !== null && effort !== 'none';
}

const unsupported = (param: string, extra = ''): ErrorSpec => ({ type: 'invalid_request_error', param, code: 'unsupported_parameter', message: `Unsupported parameter: '${param}' is not supported with this model.${extra}` });

function chatRefusal(m: string, body: Record<string, unknown>): ErrorSpec | undefined {
  // openai/openai-node's doc comment on max_tokens; memochou1993/gpt-ai-assistant#361 (o3).
  if ('max_tokens' in body && /^(?:o\d|gpt-5|gpt-[6-9])/.test(m) && !notReasoning(m)) return unsupported('max_tokens', " Use 'max_completion_tokens' instead.");
  if ('reasoning_effort' in body && notReasoning(m)) return unsupported('reasoning_effort');
  // huggingface/smolagents#1662, #1868, #1893; the openai SDK's doc comment on stop (o3, o4-mini).
  if ('stop' in body && !notReasoning(m) && /^(?:o[34]|gpt-5(?:\.[0-2])?(?![.\d]))/.test(m)) return unsupported('stop');
  if (!reasoningNow(m, body)) return undefined;
  // nextai-translator#1781 (gpt-5-mini), lobehub#5053 (o1-preview), community.openai.com/t/1110750.
  for (const p of ['presence_penalty', 'frequency_penalty', 'logit_bias', 'logprobs', 'top_logprobs']) if (p in body) return unsupported(p);
  for (const p of ['temperature', 'top_p']) {
    const v = body[p];
    if (typeof v === 'number' && v !== 1) return { type: 'invalid_request_error', param: p, code: 'unsupported_value', message: `Unsupported value: '${p}' does not support ${v} with this model. Only the default (1) value is supported.` };
  }
  return undefined;
}

function responsesRefusal(m: string, body: Record<string, unknown>): ErrorSpec | undefined {
  const include = Array.isArray(body.include) ? body.include : [];
  if (notReasoning(m)) {
    const r = body.reasoning;
    if (typeof r === 'object' && r !== null && 'effort' in r) return unsupported('reasoning.effort');
    // pydantic/pydantic-ai#3326 (gpt-5-chat-latest), NousResearch/hermes-agent#24234 (gpt-4o).
    if (include.includes('reasoning.encrypted_content')) return { type: 'invalid_request_error', param: 'include', code: null, message: 'Encrypted content is not supported with this model.' };
    return undefined;
  }
  // vllm-project/vllm#23319: gpt-5-mini asked for include message.output_text.logprobs and top_logprobs.
  if (reasoningNow(m, body) && (include.includes('message.output_text.logprobs') || 'top_logprobs' in body)) return { type: 'invalid_request_error', param: 'include', code: 'unsupported_parameter', message: 'logprobs are not supported with reasoning models.' };
  return undefined;
}
