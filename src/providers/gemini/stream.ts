import type { SseEvent } from '../../sse/parser.js';
import { asArray, asObject, parseJson } from '../shared/json.js';
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

  onEvent(event: SseEvent): void {
    this.onData(event.data);
  }

  onData(data: string): void {
    this.lastData = data;
    let keys = keysIn(data);
    if (keys & FUNCTION_CALL) {
      // A function call's arguments may hold any name, these too: the chunk is parsed for the
      // calls anyway, so its members are read off the object rather than the text.
      const response = parseJson(data);
      this.toolCalls += countFunctionCalls(response);
      keys = membersOf(response);
    }
    if (keys & USAGE) this.lastUsageData = data;
    if (keys & ENDS) this.finished = true;
    if (keys & ERROR) this.error = errorFromValue(parseJson(data)) ?? this.error;
  }

  result(): Metered {
    const last = this.lastUsageData ?? this.lastData;
    const response = last === undefined ? undefined : asObject(parseJson(last));
    return meterResponse(response, {
      toolCalls: this.toolCalls,
      final: this.finished,
      sawEnd: this.finished,
      error: this.error,
    });
  }
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
