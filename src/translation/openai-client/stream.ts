import { str } from '../refuse.js';
import { anthropicUsage, overlayUsage } from '../../providers/anthropic/usage.js';
import { type JsonObject, asObject, asText } from '../../providers/shared/json.js';
import { OPENAI_DONE, SSE_COMMENT_PING } from '../sse-out.js';
import { openaiFinishReason } from '../stop-reasons.js';
import { openaiUsageOf } from '../usage.js';
import { openaiStreamError } from './errors.js';
import { ToChatEvents } from '../to-chat-events.js';
import { completionId, openaiTier } from './response.js';

/**
 * Anthropic Messages events → OpenAI chat chunks (protocols.md §3.4 → §1.4): a role chunk
 * on message_start, content deltas for text, `tool_calls` deltas for each tool_use block
 * (numbered from 0 in order), the finish chunk, the usage chunk when the client asked for
 * it, then `[DONE]` on message_stop. Thinking is not shown (OpenAI hides reasoning);
 * pings become SSE comments; an `error` event becomes OpenAI's in-stream error.
 */
export class AnthropicToChatEvents extends ToChatEvents {
  private usage: JsonObject | undefined;
  private stop: string | undefined;
  /** Anthropic block index → OpenAI tool call index. */
  private readonly tools = new Map<number, number>();

  protected translate(type: string, data: JsonObject): string {
    switch (type) {
      case 'message_start':
        return this.start(asObject(data.message) ?? {});
      case 'content_block_start':
        return this.blockStart(data);
      case 'content_block_delta':
        return this.blockDelta(data);
      case 'message_delta': {
        this.stop = asText(asObject(data.delta)?.stop_reason) ?? this.stop;
        const usage = asObject(data.usage);
        if (usage !== undefined) this.usage = overlayUsage(this.usage ?? {}, usage);
        return '';
      }
      case 'message_stop':
        return this.finish();
      case 'ping':
        return SSE_COMMENT_PING;
      case 'error':
        this.done = true;
        return openaiStreamError(data);
      default:
        // content_block_stop, and event types added later.
        return '';
    }
  }

  private start(message: JsonObject): string {
    const usage = asObject(message.usage);
    this.usage = usage;
    this.head = { id: completionId(message.id), model: asText(message.model) ?? this.c.model, created: this.c.created, tier: openaiTier(usage?.service_tier) };
    return this.chunk({ role: 'assistant', content: '', refusal: null });
  }

  private blockStart(data: JsonObject): string {
    const block = asObject(data.content_block) ?? {};
    const index = typeof data.index === 'number' ? data.index : -1;
    if (block.type === 'text' && asText(block.text) !== undefined) return this.chunk({ content: block.text });
    if (block.type !== 'tool_use') return '';
    const n = this.tools.size;
    this.tools.set(index, n);
    const input = asObject(block.input);
    // Inputs arrive as input_json_delta; a block that already carries a non-empty input sends it whole.
    const args = input !== undefined && Object.keys(input).length > 0 ? JSON.stringify(input) : '';
    return this.chunk({ tool_calls: [{ index: n, id: block.id, type: 'function', function: { name: block.name, arguments: args } }] });
  }

  private blockDelta(data: JsonObject): string {
    const delta = asObject(data.delta) ?? {};
    if (delta.type === 'text_delta') return this.chunk({ content: str(delta.text) });
    if (delta.type === 'input_json_delta') {
      const n = this.tools.get(typeof data.index === 'number' ? data.index : -1);
      if (n === undefined) return '';
      return this.chunk({ tool_calls: [{ index: n, function: { arguments: str(delta.partial_json) } }] });
    }
    // thinking_delta, signature_delta, citations_delta: nothing a chat client can take.
    return '';
  }

  private finish(): string {
    this.done = true;
    let out = this.chunk({}, openaiFinishReason(this.stop));
    out += this.usageChunk(openaiUsageOf(anthropicUsage(this.usage ?? {})));
    return out + OPENAI_DONE;
  }
}
