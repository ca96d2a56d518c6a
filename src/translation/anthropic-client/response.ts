import { str } from '../refuse.js';
import { timingsCacheN } from '../../providers/openai/usage.js';
import { type JsonObject, asArray, asObject, asText } from '../../providers/shared/json.js';
import { anthropicStopReason, matchedStopSequence } from '../stop-reasons.js';
import { anthropicUsageOf, chatUsageOrEstimate } from '../usage.js';

/** What the response side needs from the client's request. */
export interface AnthropicReplyContext {
  /** The model the client asked for, when the upstream does not name one. */
  model: string;
  stopSequences: readonly string[];
  /** The request's input estimate, for an answer without usage. */
  inputEstimate?: () => number | undefined;
}

/** Anthropic ids start with `msg_`; the upstream's id is kept after it. */
export function messageId(upstreamId: unknown): string {
  const id = asText(upstreamId)?.replace(/[^A-Za-z0-9_-]/g, '') ?? 'translated';
  return `msg_${id}`;
}

/**
 * An OpenAI chat completion as an Anthropic Message. Reasoning (`reasoning_content`, as
 * vLLM, llama.cpp and Ollama send it) becomes a thinking block without a signature.
 * Throws when a tool call's arguments are not a JSON object: a tool_use input must be one.
 */
export function toAnthropicMessage(chat: JsonObject, c: AnthropicReplyContext): JsonObject {
  const choice = asObject(asArray(chat.choices)?.[0]) ?? {};
  const msg = asObject(choice.message) ?? {};
  const content: JsonObject[] = [];
  const reasoning = asText(msg.reasoning_content) ?? asText(msg.reasoning);
  if (reasoning !== undefined) content.push({ type: 'thinking', thinking: reasoning, signature: '' });
  const text = asText(msg.content);
  const refusal = asText(msg.refusal);
  if (text !== undefined || refusal !== undefined) content.push({ type: 'text', text: text ?? refusal });
  for (const call of asArray(msg.tool_calls) ?? []) {
    const fn = asObject(asObject(call)?.function) ?? {};
    content.push({ type: 'tool_use', id: asText(asObject(call)?.id) ?? `toolu_${content.length}`, name: fn.name, input: toolInput(fn.arguments) });
  }
  const stopSequence = matchedStopSequence(choice.stop_reason, c.stopSequences);
  const stopReason = stopSequence !== null ? 'stop_sequence' : anthropicStopReason(asText(choice.finish_reason), refusal !== undefined);
  return {
    id: messageId(chat.id),
    type: 'message',
    role: 'assistant',
    model: asText(chat.model) ?? c.model,
    content,
    stop_reason: stopReason,
    stop_sequence: stopSequence,
    usage: anthropicUsageOf(chatUsageOrEstimate(chat.usage, timingsCacheN(chat), c.inputEstimate)),
  };
}

export class BadToolArguments extends Error {}

function toolInput(args: unknown): JsonObject {
  if (args === undefined || args === null || args === '') return {};
  if (typeof args === 'object') return asObject(args) ?? {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(str(args));
  } catch {
    throw new BadToolArguments(`the upstream returned tool call arguments that are not JSON: ${str(args).slice(0, 200)}`);
  }
  const obj = asObject(parsed);
  if (obj === undefined) throw new BadToolArguments('the upstream returned tool call arguments that are not a JSON object');
  return obj;
}
