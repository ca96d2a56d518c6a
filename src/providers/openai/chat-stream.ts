import { tokensOfChars, zeroUsage } from '../../core/usage.js';
import type { SseEvent } from '../../sse/parser.js';
import { type JsonObject, asArray, asObject, asText, dig, parseJson } from '../shared/json.js';
import { sourceOf, withResponseId, withTier, withToolCalls } from '../shared/metered.js';
import type { StreamReader } from '../shared/taps.js';
import { DeltaMeter } from '../shared/streamed-text.js';
import { errorFromValue } from '../shared/upstream-error.js';
import type { Metered, UpstreamErrorInfo } from '../types.js';
import { chatUsage, timingsCacheN } from './usage.js';

/** Chunks read while looking for the served model (Azure's first chunk has none). */
const MODEL_TRIES = 3;
/** An early chunk longer than this is parsed at once rather than kept for the end. */
const EARLY_MAX_CHARS = 16 * 1024;

/**
 * Reads a Chat Completions stream (protocols.md §1.4). Usage comes once, in the last
 * chunk; servers that repeat a cumulative usage on every chunk (Gemini's OpenAI
 * endpoint, vLLM continuous stats) are read the same way: the last one wins.
 */
export class ChatStreamReader implements StreamReader {
  private modelTries = 0;
  private servedModel: string | undefined;
  private serviceTier: string | undefined;
  private responseId: string | undefined;
  private usage: JsonObject | undefined;
  private usageFinal = false;
  private cacheN: number | undefined;
  private readonly toolCalls = new Set<string>();
  private error: UpstreamErrorInfo | undefined;
  private done = false;
  /** Early chunks with nothing else worth parsing, kept as text: see `read`. */
  private early: string[] | undefined;
  /** The content, reasoning and tool arguments the deltas streamed (Metered.outputEstimate). */
  readonly streamed: DeltaMeter;

  /** `completions`: the legacy Completions API's stream, whose text is each choice's `text`. */
  constructor(completions = false) {
    this.streamed = completions ? new DeltaMeter(COMPLETION_TEXT) : new DeltaMeter(DELTA_TEXT, DELTA_SIBLING);
  }

  onEvent(event: SseEvent): void {
    this.read(event);
  }

  /** Reads one event; returns the chunk when it had to parse it, so a rewriting tap need not parse again. */
  read(event: SseEvent): JsonObject | undefined {
    const data = event.data;
    if (event.event === 'error') {
      this.error = errorFromValue(parseJson(data)) ?? { type: 'error', message: data };
      return undefined;
    }
    if (data === '[DONE]') {
      this.done = true;
      return undefined;
    }
    const worth = WORTH_PARSING.test(data);
    // Tool calls may come several to a chunk (parallel calls, or whole calls from Ollama and Gemini's
    // OpenAI endpoint): such a chunk, parsed anyway, is searched for every text.
    this.streamed.bytes += worth ? this.streamed.sizeAll(data, 0, data.length, true) : this.streamed.size(data, 0, data.length, true);
    if (!worth) {
      // Such a chunk could only name the model, the id and the tier, which every chunk repeats, the
      // usage chunk too: it is parsed only if, at the end, no parsed chunk named a model. Parsing it at
      // once cost the gateway about 2% more CPU a small streamed request (docs/benchmarks.md).
      if (!this.wantsEveryChunk) return undefined;
      if (data.length <= EARLY_MAX_CHARS) {
        (this.early ??= []).push(data);
        this.modelTries++;
        return undefined;
      }
    }
    const chunk = asObject(parseJson(data));
    if (chunk !== undefined) this.readChunk(chunk);
    return chunk;
  }

  /** True while every chunk is parsed, until one names the served model. */
  get wantsEveryChunk(): boolean {
    return this.servedModel === undefined && this.modelTries < MODEL_TRIES;
  }

  /** Chunks of unnamed events with no `[DONE]` and nothing worth parsing (see `read`), once the model is known. */
  ignorable(text: string): boolean {
    if (this.wantsEveryChunk || text.includes('[DONE]') || hasEventField(text) || worthParsingFrom(text, 0) >= 0) return false;
    for (let at = 0; at < text.length; ) {
      const blank = text.indexOf('\n\n', at);
      if (blank < 0) break;
      this.streamed.bytes += this.streamed.size(text, at + 6, blank, false);
      at = blank + 2;
    }
    return true;
  }

  /** Measures the delta of the one-line event text[at, nl) (latin1, `data: ` first) that a rewriting tap forwards without `read`. */
  passedOver(text: string, at: number, nl: number): void {
    this.streamed.bytes += this.streamed.size(text, at + 6, nl, false);
  }

  /** The `[DONE]` event was seen (by a caller that did not hand it to `read`). */
  sawDone(): void {
    this.done = true;
  }

  result(): Metered {
    if (this.early !== undefined) this.readEarly();
    const has = this.usage !== undefined;
    const usage = withToolCalls(has ? chatUsage(this.usage, this.cacheN) : zeroUsage(), this.toolCalls.size);
    const m: Metered = {
      usage,
      usageSource: sourceOf(has, this.usageFinal || this.done),
      servedModel: this.servedModel,
      error: this.error,
      sawEnd: this.done,
    };
    if ((!this.done || !has) && this.streamed.bytes > 0) m.outputEstimate = tokensOfChars(this.streamed.bytes);
    return withResponseId(withTier(m, this.serviceTier), this.responseId);
  }

  /** The early chunks kept by `read`, in order, when no parsed chunk named the model; a later chunk's tier wins. */
  private readEarly(): void {
    const early = this.early!;
    this.early = undefined;
    if (this.servedModel !== undefined) return;
    let tier: string | undefined;
    for (const data of early) {
      const chunk = asObject(parseJson(data));
      if (chunk === undefined) continue;
      this.responseId ??= asText(chunk.id);
      tier = asText(chunk.service_tier) ?? tier;
      this.servedModel = asText(chunk.model);
      if (this.servedModel !== undefined) break;
    }
    this.serviceTier ??= tier;
  }

  private readChunk(chunk: JsonObject): void {
    if (chunk.error !== undefined && chunk.error !== null) this.error = errorFromValue(chunk);
    if (this.servedModel === undefined) {
      this.modelTries++;
      this.servedModel = asText(chunk.model);
    }
    // Every chunk repeats the id: the first parsed one (parsed for the model anyway) gives it.
    this.responseId ??= asText(chunk.id);
    this.serviceTier = asText(chunk.service_tier) ?? this.serviceTier;
    const choices = asArray(chunk.choices) ?? [];
    let finishing = false;
    choices.forEach((c, i) => {
      const choice = asObject(c);
      const index = typeof choice?.index === 'number' ? choice.index : i;
      if (typeof choice?.finish_reason === 'string') finishing = true;
      // A call's id and name come in its first delta, the arguments in later ones: count indices.
      asArray(dig(choice, 'delta', 'tool_calls'))?.forEach((call, j) => {
        const at = dig(call, 'index');
        this.toolCalls.add(`${index}:${typeof at === 'number' ? at : j}`);
      });
      if (asObject(dig(choice, 'delta', 'function_call')) !== undefined) this.toolCalls.add(`${index}:legacy`);
    });
    // Moonshot (Kimi) puts a stream's usage in its last chunk's choice rather than beside the choices.
    const usage = asObject(chunk.usage) ?? asObject(dig(choices[0], 'usage'));
    if (usage !== undefined) {
      this.usage = usage;
      // OpenAI's usage chunk has no choices; repeating servers put the final value on the finish chunk.
      if (choices.length === 0 || finishing) this.usageFinal = true;
    }
    this.cacheN = timingsCacheN(chunk) ?? this.cacheN;
  }
}

/**
 * A chunk worth a JSON.parse: tool calls, an error, llama.cpp timings, or a non-null usage
 * object (once usage is on, every other chunk carries `"usage":null`).
 */
const WORTH_PARSING = /"(?:tool_calls|function_call|error|timings)"|"usage"\s*:\s*\{/;
/** A delta's text: content, refusal, reasoning (DeepSeek, vLLM, OpenRouter) or tool arguments. */
const DELTA_TEXT = /"(?:content|refusal|reasoning_content|reasoning|arguments)"\s*:\s*"/g;
/** The same, right after the text before it (OpenRouter's `"content":"","reasoning":"…"`, vLLM's last reasoning with the first content). */
const DELTA_SIBLING = new RegExp(DELTA_TEXT.source, 'y');
/** A legacy completion's text (`choices[].text`), FIM and autocomplete clients' API on local servers. */
const COMPLETION_TEXT = /"text"\s*:\s*"/g;

const WORTH_PARSING_AT = new RegExp(WORTH_PARSING.source, 'g');

/** Where the first text worth a JSON.parse (see WORTH_PARSING) starts at or after `from`, or -1. */
export function worthParsingFrom(text: string, from: number): number {
  WORTH_PARSING_AT.lastIndex = from;
  const m = WORTH_PARSING_AT.exec(text);
  return m === null ? -1 : m.index;
}

/**
 * Whether whole LF-framed events carry an `event:` field: at the start of a line, where a
 * search for `\nevent:` stops only at line ends (one for `event:` stops at every "e").
 */
function hasEventField(text: string): boolean {
  return text.startsWith('event:') || text.includes('\nevent:');
}
