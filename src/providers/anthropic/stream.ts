import { tokensOfChars, zeroUsage } from '../../core/usage.js';
import type { SseEvent } from '../../sse/parser.js';
import { type JsonObject, asObject, asText, dig, parseJson, peekType } from '../shared/json.js';
import { sourceOf, withResponseId, withTier, withToolCalls } from '../shared/metered.js';
import type { StreamReader } from '../shared/taps.js';
import { DeltaMeter } from '../shared/streamed-text.js';
import { errorFromValue } from '../shared/upstream-error.js';
import type { Metered, UpstreamErrorInfo } from '../types.js';
import { isToolUseBlock } from './content.js';
import { fallbackModel } from './iterations.js';
import { anthropicUsage, overlayUsage } from './usage.js';

/**
 * Reads a Messages stream (protocols.md §3.4). Only four event types can change what
 * is recorded, and the event name tells which without parsing: text and JSON deltas,
 * pings and block stops (nearly every event) are never parsed.
 */
export class AnthropicStreamReader implements StreamReader {
  private usage: JsonObject | undefined;
  private servedModel: string | undefined;
  private responseId: string | undefined;
  private toolCalls = 0;
  private error: UpstreamErrorInfo | undefined;
  private stopped = false;
  /** The container the message ran code in (`message_start`, or `message_delta` once a tool used one). */
  private container: string | undefined;
  /** The text, thinking and tool input the deltas streamed (Metered.outputEstimate); a signature is not output. */
  readonly streamed = new DeltaMeter(/"(?:text|thinking|partial_json)"\s*:\s*"/g);

  onEvent(event: SseEvent): void {
    // Anthropic names every event; compatible servers that do not still send `type` first.
    const type = event.event ?? peekType(event.data);
    if (type === undefined) return;
    switch (type) {
      case 'message_start':
        this.start(asObject(dig(parseJson(event.data), 'message')));
        break;
      case 'message_delta': {
        const data = parseJson(event.data);
        this.delta(asObject(dig(data, 'usage')));
        this.container = asText(dig(data, 'delta', 'container', 'id')) ?? this.container;
        break;
      }
      case 'content_block_start':
        // Every tool-use block type ends in `tool_use`; text and thinking blocks are skipped unparsed.
        if (event.data.includes('tool_use"') && isToolUseBlock(dig(parseJson(event.data), 'content_block'))) this.toolCalls++;
        break;
      case 'content_block_delta':
        this.streamed.bytes += this.streamed.size(event.data, 0, event.data.length, true, true);
        break;
      case 'message_stop':
        this.stopped = true;
        break;
      case 'error':
        this.error = errorFromValue(parseJson(event.data)) ?? { type: 'error', message: event.data };
        break;
      default:
        break;
    }
  }

  /** Text and JSON deltas, block stops and pings: named events this reader never reads. */
  ignorable(text: string): boolean {
    // As everyEventOpensWith, measuring the deltas on the way: kept only when the parser is skipped (it would measure them again).
    let streamed = 0;
    for (let at = 0; at < text.length; ) {
      const delta = text.startsWith(DELTA_EVENT, at);
      if (!delta && !text.startsWith(STOP_EVENT, at) && !text.startsWith(PING_EVENT, at)) return false;
      const blank = text.indexOf('\n\n', at);
      if (blank < 0) return false;
      if (delta) streamed += this.streamed.size(text, at + DELTA_DATA, blank, false, true);
      at = blank + 2;
    }
    this.streamed.bytes += streamed;
    return true;
  }

  result(): Metered {
    const has = this.usage !== undefined;
    const usage = withToolCalls(this.usage === undefined ? zeroUsage() : anthropicUsage(this.usage), this.toolCalls);
    const m: Metered = {
      usage,
      // Cut before message_stop: input and cache counts are exact, output is a lower bound.
      usageSource: sourceOf(has, this.stopped),
      // message_start names the requested model: a fallback that served the stream is named at its end.
      servedModel: fallbackModel(this.usage) ?? this.servedModel,
      error: this.error,
      sawEnd: this.stopped,
      // An error as the first event is the stream's 529 (protocols.md §3.4): the model never began.
      ...(this.error !== undefined && !has && this.responseId === undefined ? { failedBeforeStart: true } : {}),
    };
    if (this.container !== undefined) m.containers = [this.container];
    if (!this.stopped && this.streamed.bytes > 0) m.outputEstimate = tokensOfChars(this.streamed.bytes);
    return withResponseId(withTier(m, asText(this.usage?.service_tier)), this.responseId);
  }

  private start(message: JsonObject | undefined): void {
    if (message === undefined) return;
    this.servedModel = asText(message.model) ?? this.servedModel;
    this.responseId = asText(message.id) ?? this.responseId;
    this.container = asText(dig(message, 'container', 'id')) ?? this.container;
    const usage = asObject(message.usage);
    if (usage !== undefined) this.usage = this.usage === undefined ? usage : overlayUsage(this.usage, usage);
  }

  private delta(usage: JsonObject | undefined): void {
    if (usage !== undefined) this.usage = overlayUsage(this.usage ?? {}, usage);
  }
}

/** The events a Messages stream sends before its output (protocols.md §3.4): `content_block_start` is the first output. */
export const MESSAGES_PREAMBLE: ReadonlySet<string> = new Set(['message_start', 'ping']);

const DELTA_EVENT = 'event: content_block_delta\n';
const STOP_EVENT = 'event: content_block_stop\n';
const PING_EVENT = 'event: ping\n';
/** The length of `event: content_block_delta\ndata: `, where a delta's JSON starts as Anthropic writes it (the parser's data starts there too). */
const DELTA_DATA = 33;
