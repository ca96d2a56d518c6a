import { tokensOfChars, zeroUsage } from '../../core/usage.js';
import type { SseEvent } from '../../sse/parser.js';
import { type JsonObject, asArray, asObject, asText, parseJson, peekType } from '../shared/json.js';
import { sourceOf, withResponseId, withTier, withToolCalls } from '../shared/metered.js';
import type { StreamReader } from '../shared/taps.js';
import { DeltaMeter } from '../shared/streamed-text.js';
import { errorFromValue } from '../shared/upstream-error.js';
import type { Metered, UpstreamErrorInfo } from '../types.js';
import { FAILED, countResponseToolCalls, isToolCallItem, namedItems, readItem, withConversation } from './responses-body.js';
import { responsesUsage } from './usage.js';

/** The events that end a Response: usage is in theirs only. */
export const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);
/**
 * The events a Responses stream sends before its output (protocols.md §1.7): they describe the
 * Response (its id, its status), with no output item yet. `response.output_item.added` is the first output.
 */
export const RESPONSES_PREAMBLE: ReadonlySet<string> = new Set(['response.created', 'response.queued', 'response.in_progress']);
/** Where the JSON of the `data:` line at `line` starts: offsets from there match the parser's data. */
function dataStart(text: string, line: number): number {
  return text.charCodeAt(line + 5) === 0x20 ? line + 6 : line + 5;
}

/** How many of IGNORED_EVENTS, the first, carry a delta's text, which `ignorable` measures. */
const DELTA_EVENTS = 4;
/** Every event that opens so is one `onEvent` passes over (it reads only the types above and below). */
const IGNORED_EVENTS = ['event: response.output_text.delta\n', 'event: response.reasoning_summary_text.delta\n', 'event: response.reasoning_text.delta\n', 'event: response.function_call_arguments.delta\n', 'event: response.output_text.done\n', 'event: response.content_part.added\n', 'event: response.content_part.done\n', 'event: response.in_progress\n'];

/**
 * Reads a Responses API stream (protocols.md §1.7). Usage is only in the terminal
 * event's `response.usage`. Text deltas are most of the events and are never parsed.
 */
export class ResponsesStreamReader implements StreamReader {
  private servedModel: string | undefined;
  private serviceTier: string | undefined;
  /** The tier `response.created` names (the one asked for): a stream cut before its end is billed at it. */
  private createdTier: string | undefined;
  private responseId: string | undefined;
  private usage: unknown;
  /** The Response's `tool_usage` (billed apart from `usage`). */
  private toolUsage: unknown;
  /** The Response's `tools`: the image_generation tool's model prices `tool_usage.image_gen`. */
  private tools: unknown;
  private addedToolCalls = 0;
  private finalToolCalls = 0;
  private error: UpstreamErrorInfo | undefined;
  private ended = false;
  private background = false;
  /** The items the stream named, and the containers their calls ran in (Metered.items, Metered.containers). */
  private readonly items = new Set<string>();
  private readonly containers = new Set<string>();
  /** The Response's `conversation`, from its first event (a stream cut before its end) or its last. */
  private conversation: JsonObject | undefined;
  private readonly madeObject: ((id: string) => void) | undefined;
  /** The text, reasoning and tool input the deltas streamed (Metered.outputEstimate). */
  readonly streamed = new DeltaMeter(/"delta"\s*:\s*"/g);

  /** `madeObject`: see RequestInfo.madeObject. */
  constructor(madeObject?: (id: string) => void) {
    this.madeObject = madeObject;
  }

  onEvent(event: SseEvent): void {
    // OpenAI names every event; some compatible servers only put the type in the JSON.
    const type = event.event ?? peekType(event.data);
    if (type === undefined) return;
    if (TERMINAL.has(type)) this.readResponse(asObject(parseJson(event.data)), type);
    else if (type === 'response.created') {
      // Parsed once so that a stream cut before its end still names the model and the response.
      const response = asObject(asObject(parseJson(event.data))?.response);
      this.servedModel ??= asText(response?.model);
      this.createdTier ??= asText(response?.service_tier);
      this.conversation ??= asObject(response?.conversation);
      if (this.responseId === undefined) {
        this.responseId = asText(response?.id);
        if (this.responseId !== undefined) this.madeObject?.(this.responseId);
      }
    } else if (type === 'response.output_item.added') {
      // Small (an item as it begins, its content empty): parsed for its id, which a stream cut before its end has named too.
      const item = asObject(parseJson(event.data))?.item;
      readItem(item, this.items, this.containers);
      if (isToolCallItem(item)) this.addedToolCalls++;
    } else if (type === 'error') {
      this.error = errorFromValue(parseJson(event.data)) ?? { type: 'error', message: event.data };
    } else if (type.endsWith('.delta') && type !== 'response.audio.delta') {
      // Audio's deltas are base64, not text; every other delta (text, reasoning, tool input, code) is output.
      this.streamed.bytes += this.streamed.size(event.data, 0, event.data.length, true);
    }
  }

  /** The deltas (text, reasoning, tool arguments) and part events: named events this reader never reads. */
  ignorable(text: string): boolean {
    // As everyEventOpensWith, measuring the deltas on the way: kept only when the parser is skipped (it would measure them again).
    let streamed = 0;
    for (let at = 0; at < text.length; ) {
      let known = -1;
      for (let i = 0; known < 0 && i < IGNORED_EVENTS.length; i++) if (text.startsWith(IGNORED_EVENTS[i]!, at)) known = i;
      const blank = known < 0 ? -1 : text.indexOf('\n\n', at);
      if (blank < 0) return false;
      if (known < DELTA_EVENTS) streamed += this.streamed.size(text, dataStart(text, at + IGNORED_EVENTS[known]!.length), blank, false);
      at = blank + 2;
    }
    this.streamed.bytes += streamed;
    return true;
  }

  result(): Metered {
    const has = this.usage !== undefined;
    const usage = withToolCalls(has ? responsesUsage(this.usage, this.toolUsage, this.tools) : zeroUsage(), Math.max(this.addedToolCalls, this.finalToolCalls));
    const m: Metered = {
      usage,
      usageSource: sourceOf(has, this.ended),
      servedModel: this.servedModel,
      error: this.error,
      sawEnd: this.ended,
    };
    if (this.background) m.background = true;
    if (!this.ended && this.streamed.bytes > 0) m.outputEstimate = tokensOfChars(this.streamed.bytes);
    namedItems(m, [], this.items, this.containers);
    withConversation(m, { conversation: this.conversation });
    return withResponseId(withTier(m, this.serviceTier ?? this.createdTier), this.responseId);
  }

  private readResponse(event: JsonObject | undefined, type: string): void {
    this.ended = true;
    const response = asObject(event?.response);
    if (response === undefined) return;
    this.servedModel = asText(response.model) ?? this.servedModel;
    this.serviceTier = asText(response.service_tier) ?? this.serviceTier;
    this.responseId = asText(response.id) ?? this.responseId;
    if (response.background === true) this.background = true;
    this.conversation = asObject(response.conversation) ?? this.conversation;
    if (asObject(response.usage) !== undefined) this.usage = response.usage;
    if (response.tool_usage !== undefined) this.toolUsage = response.tool_usage;
    if (response.tools !== undefined) this.tools = response.tools;
    this.finalToolCalls = countResponseToolCalls(response);
    for (const item of asArray(response.output) ?? []) readItem(item, this.items, this.containers);
    if (type === 'response.failed') this.error = errorFromValue(response) ?? FAILED;
  }
}
