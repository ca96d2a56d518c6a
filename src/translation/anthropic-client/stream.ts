import { timingsCacheN } from '../../providers/openai/usage.js';
import { type JsonObject, asArray, asObject, asText, parseJson } from '../../providers/shared/json.js';
import type { SseEvent } from '../../sse/parser.js';
import type { EventTranslator } from '../event-translator.js';
import { CUT_SHORT, anthropicEvent } from '../sse-out.js';
import { anthropicStopReason, matchedStopSequence } from '../stop-reasons.js';
import { anthropicDeltaUsageOf, chatUsageOrEstimate } from '../usage.js';
import { anthropicStreamError } from './errors.js';
import { type AnthropicReplyContext, messageId } from './response.js';

type Kind = 'thinking' | 'text' | 'tool';

/**
 * OpenAI chat chunks → Anthropic Messages events (protocols.md §1.4 → §3.4):
 * message_start on the first chunk; one content block per run of reasoning, text or one
 * tool call, opened and closed as the deltas change kind; message_delta (stop reason and
 * the upstream's final usage) and message_stop on `[DONE]`. Upstream keep-alive comments
 * become pings; an upstream error becomes an `error` event that ends the stream.
 */
export class ChatToAnthropicEvents implements EventTranslator {
  private started = false;
  private done = false;
  private current: { kind: Kind; index: number; key?: string } | undefined;
  private next = 0;
  private readonly tools = new Map<string, number>();
  private lastToolId: string | undefined;
  private finish: string | undefined;
  private stopSequence: string | null = null;
  private refused = false;
  private usage: JsonObject | undefined;
  private cacheN: number | undefined;

  private readonly c: AnthropicReplyContext;

  constructor(c: AnthropicReplyContext) {
    this.c = c;
  }

  event(e: SseEvent | null): string {
    if (this.done) return '';
    if (e === null) return this.started ? anthropicEvent('ping', {}) : '';
    if (e.data === '[DONE]') return this.close();
    const chunk = asObject(parseJson(e.data));
    if (chunk === undefined) return '';
    let out = '';
    if (e.event === 'error' || (chunk.error !== undefined && chunk.error !== null)) {
      this.done = true;
      return anthropicStreamError(chunk);
    }
    if (!this.started) out += this.start(chunk);
    const usage = asObject(chunk.usage);
    if (usage !== undefined) this.usage = usage;
    this.cacheN = timingsCacheN(chunk) ?? this.cacheN;
    const choice = asObject(asArray(chunk.choices)?.find((x) => (asObject(x)?.index ?? 0) === 0));
    if (choice === undefined) return out;
    const delta = asObject(choice.delta) ?? {};
    const reasoning = asText(delta.reasoning_content) ?? asText(delta.reasoning);
    if (reasoning !== undefined) out += this.text('thinking', reasoning);
    const text = asText(delta.content);
    if (text !== undefined) out += this.text('text', text);
    const refusal = asText(delta.refusal);
    if (refusal !== undefined) {
      this.refused = true;
      out += this.text('text', refusal);
    }
    for (const call of asArray(delta.tool_calls) ?? []) out += this.toolCall(asObject(call) ?? {});
    const finish = asText(choice.finish_reason);
    if (finish !== undefined) {
      this.finish = finish;
      this.stopSequence = matchedStopSequence(choice.stop_reason, this.c.stopSequences);
      out += this.closeBlock();
    }
    return out;
  }

  end(): string {
    if (this.done) return '';
    // A finish reason came but no [DONE] (some compatible servers close without it): the answer is whole.
    if (this.finish !== undefined) return this.close();
    this.done = true;
    // Cut before its end: an error event, as Anthropic ends a stream that fails, not a stream that stops.
    return anthropicEvent('error', { error: { type: 'api_error', message: CUT_SHORT } });
  }

  private start(chunk: JsonObject): string {
    this.started = true;
    const message = {
      id: messageId(chunk.id),
      type: 'message',
      role: 'assistant',
      model: asText(chunk.model) ?? this.c.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      // The chat API reports usage only at the end; message_delta carries it.
      usage: { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 },
    };
    return anthropicEvent('message_start', { message });
  }

  private text(kind: 'thinking' | 'text', text: string): string {
    let out = '';
    if (this.current?.kind !== kind) {
      out += this.closeBlock();
      out += this.open(kind, kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' });
    }
    const delta = kind === 'text' ? { type: 'text_delta', text } : { type: 'thinking_delta', thinking: text };
    return out + anthropicEvent('content_block_delta', { index: this.current!.index, delta });
  }

  /** Calls are told apart by `index`; servers that omit it start each call with a new id. */
  private toolCall(call: JsonObject): string {
    const id = asText(call.id);
    const fn = asObject(call.function) ?? {};
    const key =
      typeof call.index === 'number' ? `#${call.index}` : id !== undefined && id !== this.lastToolId ? `id:${id}` : (this.current?.key ?? `id:${this.lastToolId ?? ''}`);
    if (id !== undefined) this.lastToolId = id;
    let out = '';
    let index = this.tools.get(key);
    if (index === undefined) {
      out += this.closeBlock();
      const block = { type: 'tool_use', id: id ?? `toolu_translated${this.tools.size}`, name: asText(fn.name) ?? '', input: {} };
      out += this.open('tool', block, key);
      index = this.current!.index;
      this.tools.set(key, index);
    }
    const args = asText(fn.arguments);
    if (args !== undefined) out += anthropicEvent('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: args } });
    return out;
  }

  private open(kind: Kind, block: JsonObject, key?: string): string {
    this.current = { kind, index: this.next++, key };
    return anthropicEvent('content_block_start', { index: this.current.index, content_block: block });
  }

  private closeBlock(): string {
    if (this.current === undefined) return '';
    const index = this.current.index;
    this.current = undefined;
    return anthropicEvent('content_block_stop', { index });
  }

  private close(): string {
    this.done = true;
    let out = this.started ? '' : this.start({});
    out += this.closeBlock();
    const stopReason = this.stopSequence !== null ? 'stop_sequence' : anthropicStopReason(this.finish, this.refused);
    const usage = anthropicDeltaUsageOf(chatUsageOrEstimate(this.usage, this.cacheN, this.c.inputEstimate));
    out += anthropicEvent('message_delta', { delta: { stop_reason: stopReason, stop_sequence: this.stopSequence }, usage });
    return out + anthropicEvent('message_stop', {});
  }
}
