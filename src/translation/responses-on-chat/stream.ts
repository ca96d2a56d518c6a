import { type JsonObject, asObject, asText } from '../../providers/shared/json.js';
import { openaiStreamError } from '../openai-client/errors.js';
import { ToChatEvents } from '../to-chat-events.js';
import { completionId } from '../openai-client/response.js';
import { str } from '../refuse.js';
import { OPENAI_DONE } from '../sse-out.js';
import { chatFinishReason, chatToolCall, chatUsageOf } from './response.js';

/**
 * Responses API events → chat chunks (protocols.md §1.7 → §1.4): a role chunk on
 * `response.created`, content deltas for output text and refusals, `tool_calls` deltas for
 * each function or custom tool call (numbered from 0 in order), then on the terminal event
 * the finish chunk, the usage chunk when the client asked for it, and `[DONE]`. Reasoning
 * is not shown (chat completions keep it hidden); a failed Response or an `error` event
 * becomes the chat in-stream error.
 */
export class ResponsesToChatEvents extends ToChatEvents {
  /** Output index of a tool call item → its chat tool call index. */
  private readonly tools = new Map<number, number>();

  protected translate(type: string, data: JsonObject): string {
    switch (type) {
      case 'response.created':
        return this.start(asObject(data.response) ?? {});
      case 'response.output_item.added':
        return this.itemAdded(data);
      case 'response.function_call_arguments.delta':
      case 'response.custom_tool_call_input.delta':
        return this.toolDelta(data);
      case 'response.output_text.delta':
        return this.chunk({ content: str(data.delta) });
      case 'response.refusal.delta':
        return this.chunk({ refusal: str(data.delta) });
      case 'response.completed':
      case 'response.incomplete':
        return this.finish(asObject(data.response) ?? {});
      case 'response.failed':
        return this.fail(asObject(data.response) ?? data);
      case 'error':
        return this.fail(data);
      default:
        // Lifecycle, reasoning, annotations, hosted tools' progress, and event types added later.
        return '';
    }
  }

  private start(r: JsonObject): string {
    this.head = { id: completionId(r.id), model: asText(r.model) ?? this.c.model, created: typeof r.created_at === 'number' ? r.created_at : this.c.created, tier: asText(r.service_tier) ?? 'default' };
    return this.chunk({ role: 'assistant', content: '', refusal: null });
  }

  private itemAdded(data: JsonObject): string {
    const call = chatToolCall(asObject(data.item) ?? {});
    if (!call || typeof data.output_index !== 'number') return '';
    const n = this.tools.size;
    this.tools.set(data.output_index, n);
    return this.chunk({ tool_calls: [{ index: n, ...call }] });
  }

  private toolDelta(data: JsonObject): string {
    const n = typeof data.output_index === 'number' ? this.tools.get(data.output_index) : undefined;
    if (n === undefined) return '';
    return this.chunk({ tool_calls: [{ index: n, function: { arguments: str(data.delta) } }] });
  }

  private finish(r: JsonObject): string {
    this.done = true;
    let out = this.chunk({}, chatFinishReason(r, this.tools.size > 0));
    out += this.usageChunk(chatUsageOf(r));
    return out + OPENAI_DONE;
  }

  /** The chat in-stream error (`data: {"error":…}`, no [DONE]), as OpenAI ends a chat stream that fails. */
  private fail(value: unknown): string {
    this.done = true;
    return openaiStreamError(value);
  }
}
