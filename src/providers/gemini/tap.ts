import { FREE_APIS } from '../../core/api.js';
import { bufferBody, errorBodyTap, freeBodyTap, isEventStream, isSuccess, observeSse } from '../shared/taps.js';
import type { ResponseTap, RouteMatch, TapContext } from '../types.js';
import { JsonArrayScanner } from './array-scanner.js';
import { readGeminiBody, readGeminiTail } from './body.js';
import { geminiBatchTap } from './batches.js';
import { readCachedContent } from './caches.js';
import { readUploadedFile } from './files.js';
import { InteractionStreamReader, readInteraction } from './interactions.js';
import { GeminiStreamReader } from './stream.js';

export function createGeminiTap(route: RouteMatch, ctx: TapContext): ResponseTap {
  if (!isSuccess(ctx.status)) return errorBodyTap(ctx.status);
  // An upload's last answer names the file it made (whose owner the gateway records).
  if (route.api === 'gemini.files' && (route.method === 'POST' || route.method === 'PUT')) return bufferBody(readUploadedFile);
  if (route.api === 'gemini.batches') return geminiBatchTap(route);
  // A looked-up interaction run in the background shows its usage once finished: read, to bill its creation (StoredResponses).
  if (route.api === 'gemini.interactions_lookup' && route.method === 'GET' && !isEventStream(ctx)) return bufferBody(readInteraction);
  if (FREE_APIS.has(route.api)) return freeBodyTap();
  if (route.api === 'gemini.caches') return bufferBody(readCachedContent);
  if (route.api === 'gemini.interactions') return isEventStream(ctx) ? observeSse(new InteractionStreamReader(ctx.madeObject), true) : bufferBody(readInteraction);
  if (isEventStream(ctx)) return observeSse(new GeminiStreamReader(ctx.choices), true);
  if (route.streamByPath) return scanJsonArray(new GeminiStreamReader(ctx.choices));
  // generateContent, or an embedding (whose body has no candidates, and usageMetadata only if the API reports it).
  return bufferBody((text, complete, tail) => readGeminiBody(text, complete, tail), undefined, readGeminiTail);
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
