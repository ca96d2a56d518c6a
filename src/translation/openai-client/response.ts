import { str } from '../refuse.js';
import { anthropicUsage } from '../../providers/anthropic/usage.js';
import { type JsonObject, asArray, asObject, asText } from '../../providers/shared/json.js';
import { openaiFinishReason } from '../stop-reasons.js';
import { openaiUsageOf } from '../usage.js';

/** What the response side needs from the client's request. */
export interface OpenaiReplyContext {
  model: string;
  /** The client asked for `stream_options.include_usage`. */
  includeUsage: boolean;
  /** Unix seconds for `created`. */
  created: number;
}

export function completionId(upstreamId: unknown): string {
  return `chatcmpl-${asText(upstreamId)?.replace(/[^A-Za-z0-9_-]/g, '') ?? 'translated'}`;
}

/** Anthropic's service tier names as OpenAI's. */
export function openaiTier(tier: unknown): string {
  return tier === 'priority' ? 'priority' : 'default';
}

/**
 * An Anthropic Message as an OpenAI chat completion. Thinking blocks are left out of the
 * message, as OpenAI keeps reasoning hidden; their tokens are in `reasoning_tokens`.
 */
export function toChatCompletion(msg: JsonObject, c: OpenaiReplyContext): JsonObject {
  const text: string[] = [];
  const calls: JsonObject[] = [];
  for (const x of asArray(msg.content) ?? []) {
    const b = asObject(x) ?? {};
    if (b.type === 'text') text.push(str(b.text));
    else if (b.type === 'tool_use') calls.push({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } });
  }
  const message: JsonObject = { role: 'assistant', content: text.length === 0 && calls.length > 0 ? null : text.join(''), refusal: null };
  if (calls.length > 0) message.tool_calls = calls;
  const usage = asObject(msg.usage);
  return {
    id: completionId(msg.id),
    object: 'chat.completion',
    created: c.created,
    model: asText(msg.model) ?? c.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: openaiFinishReason(asText(msg.stop_reason)) }],
    usage: openaiUsageOf(anthropicUsage(usage ?? {})),
    service_tier: openaiTier(usage?.service_tier),
    system_fingerprint: null,
  };
}
