import { tokensOfChars } from '../../core/usage.js';
import type { SseEvent } from '../../sse/parser.js';
import { asArray, asObject, dig, parseJson } from '../shared/json.js';
import { DeltaMeter } from '../shared/streamed-text.js';
import type { StreamReader } from '../shared/taps.js';
import { errorFromValue } from '../shared/upstream-error.js';
import type { Metered, UpstreamErrorInfo } from '../types.js';
import { countFunctionCalls, meterResponse } from './response.js';

/**
 * Reads a streamGenerateContent stream, one GenerateContentResponse per SSE event or
 * array element (protocols.md §4.3). `usageMetadata` is a running total, so only the
 * last one matters: its text is kept and parsed once, when the stream ends.
 */
export class GeminiStreamReader implements StreamReader {
  private lastUsageData: string | undefined;
  private lastData: string | undefined;
  private toolCalls = 0;
  private error: UpstreamErrorInfo | undefined;
  private finished = false;
  /**
   * The candidates (by `index`) seen, and those that have finished: with `candidateCount` above 1
   * each candidate ends with its own finishReason, so the stream is done only when all have.
   */
  private readonly seen = new Set<number>();
  private readonly done = new Set<number>();
  /** Several candidates were asked for: every chunk is parsed, to see each candidate by its index. */
  private readonly several: boolean;
  /**
   * The text, thought summaries and code the chunks streamed (Metered.outputEstimate): the running
   * usage of a chunk before the last has the prompt's count but no output's (candidatesTokenCount
   * and thoughtsTokenCount come on the last), so a cut stream's output would be 0.
   */
  readonly streamed = new DeltaMeter(PART_TEXT);

  constructor(choices = 1) {
    this.several = choices > 1;
  }

  onEvent(event: SseEvent): void {
    this.onData(event.data);
  }

  onData(data: string): void {
    this.lastData = data;
    let keys = keysIn(data);
    if (keys & FUNCTION_CALL || this.several || keys & ENDS) {
      // A function call's arguments may hold any name, these too: the chunk is parsed for the
      // calls anyway, so its members are read off the object rather than the text. So is an
      // ending chunk (one a stream has once a candidate), for which candidates it ends.
      const response = parseJson(data);
      this.toolCalls += countFunctionCalls(response);
      keys = membersOf(response);
      this.streamed.bytes += partBytes(response);
      this.candidates(response, keys);
    } else {
      // A chunk may hold several parts (a thought, then text), of several candidates.
      this.streamed.bytes += this.streamed.sizeAll(data, 0, data.length, true);
    }
    if (keys & USAGE) this.lastUsageData = data;
    if (keys & ERROR) this.error = errorFromValue(parseJson(data)) ?? this.error;
  }

  /** Notes the candidates a parsed chunk carries and those it finishes; a blocked prompt ends them all. */
  private candidates(response: unknown, keys: number): void {
    for (const c of asArray(dig(response, 'candidates')) ?? []) {
      const index = asObject(c)?.index;
      const i = typeof index === 'number' ? index : 0;
      this.seen.add(i);
      if (asObject(c)?.finishReason !== undefined) this.done.add(i);
    }
    if (dig(response, 'promptFeedback', 'blockReason') !== undefined) this.finished = true;
    // Several asked for: a candidate first seen after another finished reopens the stream.
    else if (keys & ENDS || this.several) this.finished = this.done.size > 0 && this.done.size >= this.seen.size;
  }

  result(): Metered {
    const last = this.lastUsageData ?? this.lastData;
    const response = last === undefined ? undefined : asObject(parseJson(last));
    const m = meterResponse(response, {
      toolCalls: this.toolCalls,
      final: this.finished,
      sawEnd: this.finished,
      error: this.error,
    });
    if (!this.finished && this.streamed.bytes > 0) m.outputEstimate = tokensOfChars(this.streamed.bytes);
    return m;
  }
}

/** A part's text (a thought summary's too) or generated code (`executableCode.code`). */
const PART_TEXT = /"(?:text|code)"\s*:\s*"/g;

/**
 * The bytes of a parsed chunk's text, code and function call arguments (as JSON), JSON-escaped as
 * sizeAll measures them in the text: a function call's arguments may hold members named `text`.
 */
function partBytes(response: unknown): number {
  let n = 0;
  for (const candidate of asArray(dig(response, 'candidates')) ?? []) {
    for (const part of asArray(dig(candidate, 'content', 'parts')) ?? []) {
      const p = asObject(part);
      if (p === undefined) continue;
      if (typeof p.text === 'string') n += Buffer.byteLength(JSON.stringify(p.text)) - 2;
      const code = dig(p, 'executableCode', 'code');
      if (typeof code === 'string') n += Buffer.byteLength(JSON.stringify(code)) - 2;
      const call = asObject(p.functionCall);
      if (call !== undefined) n += Buffer.byteLength(JSON.stringify(call.args ?? {}));
    }
  }
  return n;
}

const USAGE = 1;
/** A finish reason, or a blocked prompt's reason (which ends the stream with no candidates). */
const ENDS = 2;
const FUNCTION_CALL = 4;
const ERROR = 8;
// The closing quote and colon are looked at, not taken: they cannot then hide a name that starts
// with them. The colon tells a member's name from a text that ends with one (`…[\"finishReason"`).
const KEYS = /"(?:(usageMetadata)|(finishReason|blockReason)|(functionCall)|(error))(?="\s*:)/g;

/**
 * Which of the member names the reader looks for occur in `text`, as a bitmask. Exact: inside
 * a string the quotes would be escaped, and a name's closing quote is followed by a colon. One pass over the text: a search per name stops at
 * every quote, JSON's commonest character, so five of them cost five passes.
 */
function keysIn(text: string): number {
  let keys = 0;
  KEYS.lastIndex = 0;
  for (let m = KEYS.exec(text); m !== null; m = KEYS.exec(text)) keys |= m[1] ? USAGE : m[2] ? ENDS : m[3] ? FUNCTION_CALL : ERROR;
  return keys;
}

/** The members a parsed response holds where the API puts them: usage and error at the top, finish reasons in candidates and the prompt's feedback. */
function membersOf(response: unknown): number {
  const r = asObject(response);
  if (r === undefined) return 0;
  let keys = 0;
  if (asObject(r.usageMetadata) !== undefined) keys |= USAGE;
  if (r.error !== undefined && r.error !== null) keys |= ERROR;
  if ((asArray(r.candidates) ?? []).some((c) => asObject(c)?.finishReason !== undefined) || asObject(r.promptFeedback)?.blockReason !== undefined) keys |= ENDS;
  return keys;
}
