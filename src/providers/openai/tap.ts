import { FREE_APIS } from '../../core/api.js';
import { bufferBody, createdObjectTap, errorBodyTap, freeBodyTap, isEventStream, isSuccess, observeSse, passBodyTap, sniffedStream } from '../shared/taps.js';
import type { ResponseTap, RouteMatch, TapContext } from '../types.js';
import { batchObjectTap, outputFileTap } from './batches.js';
import { closingTailReader, readOpenaiBody } from './body.js';
import { chatRewriteTap } from './chat-rewrite-tap.js';
import { ChatStreamReader } from './chat-stream.js';
import { audioBytesTap, audioStreamReader } from './audio.js';
import { imagesStreamReader } from './images.js';
import { ResponsesStreamReader } from './responses-stream.js';
import { conversationItemsTap } from './conversations.js';

export function createOpenaiTap(route: RouteMatch, ctx: TapContext): ResponseTap {
  if (!isSuccess(ctx.status)) return errorBodyTap(ctx.status);
  if (route.api === 'openai.batches') return batchObjectTap(route.method === 'POST' && route.resourceId === undefined);
  if (route.api === 'openai.file_content') return outputFileTap(route.resourceId ?? '');
  if (route.api === 'openai.files' && route.method === 'POST') return createdObjectTap((o) => o.object === 'file');
  if (route.api === 'openai.conversations' && route.method === 'POST' && route.resourceId === undefined) return createdObjectTap((o) => o.object === 'conversation');
  if (route.api === 'openai.conversation_items') return conversationItemsTap();
  if (route.api === 'openai.vector_stores' && route.method === 'POST' && route.resourceId === undefined) return createdObjectTap((o) => o.object === 'vector_store');
  if (route.api === 'openai.skills' && route.method === 'POST' && route.resourceId === undefined) return createdObjectTap((o) => o.object === 'skill');
  if (route.api === 'openai.skill_content') return passBodyTap();
  if (route.api === 'openai.containers' && route.method === 'POST') return createdObjectTap((o) => o.object === 'container');
  if (route.api === 'openai.container_files' && route.method === 'POST') return createdObjectTap((o) => o.object === 'container.file');
  // A container's file is whatever code wrote (a chart, a CSV): streamed through, not read.
  if (route.api === 'openai.container_file_content') return passBodyTap();
  if (FREE_APIS.has(route.api)) return freeBodyTap();
  // A stored response retrieved with `?stream=true` is its events again.
  const responses = route.api === 'openai.responses' || route.api === 'openai.responses_lookup';
  const completions = route.api === 'openai.completions';
  const events = (): ResponseTap => (responses ? observeSse(new ResponsesStreamReader(ctx.madeObject)) : ctx.injectedStreamUsage ? chatRewriteTap(completions) : observeSse(new ChatStreamReader(completions)));
  if (isEventStream(ctx)) {
    if (route.api === 'openai.images') return observeSse(imagesStreamReader());
    if (route.api === 'openai.audio') return observeSse(audioStreamReader());
    return events();
  }
  // Speech's audio, or a transcript asked for as text or subtitles, is not JSON.
  if (route.api === 'openai.audio' && !ctx.contentType?.toLowerCase().includes('json')) return audioBytesTap();
  if (route.api === 'openai.compact') {
    // A compaction names no model: the one the gateway sent (after a policy rewrite or a route's own) served it.
    return bufferBody((text, complete, tail) => {
      const m = readOpenaiBody(route.api, text, complete, tail);
      m.servedModel ??= ctx.requestedModel;
      return m;
    });
  }
  const body = (): ResponseTap => bufferBody((text, complete, tail) => readOpenaiBody(route.api, text, complete, tail), undefined, closingTailReader(route.api));
  return ctx.stream && (responses || route.api === 'openai.chat' || route.api === 'openai.completions') ? sniffedStream(events, body) : body();
}
