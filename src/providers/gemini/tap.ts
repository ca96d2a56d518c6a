import { bufferBody, errorBodyTap, isEventStream, isSuccess, observeSse } from '../shared/taps.js';
import type { ResponseTap, RouteMatch, TapContext } from '../types.js';
import { JsonArrayScanner } from './array-scanner.js';
import { readGeminiBody } from './body.js';
import { GeminiStreamReader } from './stream.js';

export function createGeminiTap(route: RouteMatch, ctx: TapContext): ResponseTap {
  if (!isSuccess(ctx.status)) return errorBodyTap(ctx.status);
  if (isEventStream(ctx)) return observeSse(new GeminiStreamReader());
  if (route.streamByPath) return scanJsonArray(new GeminiStreamReader());
  return bufferBody((text, complete) => readGeminiBody(text, complete));
}

/** Observe-only tap over the JSON-array stream. */
function scanJsonArray(reader: GeminiStreamReader): ResponseTap {
  const scanner = new JsonArrayScanner();
  const onElement = (text: string): void => reader.onData(text);
  return {
    push(chunk, emit) {
      emit(chunk);
      scanner.push(chunk, onElement);
    },
    finish() {
      return reader.result();
    },
  };
}
