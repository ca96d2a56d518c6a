import { responsesUsage } from '../../providers/openai/usage.js';
import { type JsonObject, asArray, asObject, asText } from '../../providers/shared/json.js';
import { type OpenaiReplyContext, completionId } from '../openai-client/response.js';
import { str } from '../refuse.js';
import { openaiUsageOf } from '../usage.js';

/**
 * A tool call as a chat client reads it. A custom tool's call (free text, such as a patch)
 * has no streamed chat form, so it arrives as a function call whose `arguments` are the
 * tool's raw input.
 */
export function chatToolCall(item: JsonObject): JsonObject | undefined {
  if (item.type === 'function_call') return { id: item.call_id, type: 'function', function: { name: item.name, arguments: str(item.arguments) } };
  if (item.type === 'custom_tool_call') return { id: item.call_id, type: 'function', function: { name: item.name, arguments: str(item.input) } };
  return undefined;
}

/** `finish_reason` of a finished Response: its tool calls, its cut-off, or a stop. */
export function chatFinishReason(response: JsonObject, calledTools: boolean): string {
  if (response.status === 'incomplete') return asText(asObject(response.incomplete_details)?.reason) === 'content_filter' ? 'content_filter' : 'length';
  return calledTools ? 'tool_calls' : 'stop';
}

/** The Response's usage as chat usage, the same counts the ledger records. */
export function chatUsageOf(response: JsonObject): Record<string, unknown> {
  return openaiUsageOf(responsesUsage(response.usage ?? {}, response.tool_usage, response.tools));
}

/** A Response object (non-streamed) as a chat completion. Reasoning stays hidden, as chat completions keep it. */
export function toChatCompletion(response: JsonObject, c: OpenaiReplyContext): JsonObject {
  const text: string[] = [];
  const refusals: string[] = [];
  const calls: JsonObject[] = [];
  for (const x of asArray(response.output) ?? []) {
    const item = asObject(x) ?? {};
    const call = chatToolCall(item);
    if (call) calls.push(call);
    if (item.type !== 'message') continue;
    for (const p of asArray(item.content) ?? []) {
      const part = asObject(p) ?? {};
      if (part.type === 'output_text') text.push(str(part.text));
      else if (part.type === 'refusal') refusals.push(str(part.refusal));
    }
  }
  const message: JsonObject = { role: 'assistant', content: text.length === 0 && calls.length > 0 ? null : text.join(''), refusal: refusals.length ? refusals.join('') : null };
  if (calls.length > 0) message.tool_calls = calls;
  return {
    id: completionId(response.id),
    object: 'chat.completion',
    created: typeof response.created_at === 'number' ? response.created_at : c.created,
    model: asText(response.model) ?? c.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: chatFinishReason(response, calls.length > 0) }],
    usage: chatUsageOf(response),
    service_tier: asText(response.service_tier) ?? 'default',
    system_fingerprint: null,
  };
}
