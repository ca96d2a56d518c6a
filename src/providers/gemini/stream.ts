import type { SseEvent } from '../../sse/parser.js';
import { asObject, parseJson } from '../shared/json.js';
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
    if (data.includes('"usageMetadata"')) this.lastUsageData = data;
    // Key checks are exact: inside a string the quotes would be escaped. A blocked
    // prompt ends the stream with a blockReason and no candidates.
    if (data.includes('"finishReason"') || data.includes('"blockReason"')) this.finished = true;
    if (data.includes('"functionCall"')) this.toolCalls += countFunctionCalls(parseJson(data));
    if (data.includes('"error"')) this.error = errorFromValue(parseJson(data)) ?? this.error;
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
