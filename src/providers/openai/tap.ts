import { bufferBody, errorBodyTap, isEventStream, isSuccess, observeSse } from '../shared/taps.js';
import type { ResponseTap, RouteMatch, TapContext } from '../types.js';
import { readOpenaiBody } from './body.js';
import { chatRewriteTap } from './chat-rewrite-tap.js';
import { ChatStreamReader } from './chat-stream.js';
import { ResponsesStreamReader } from './responses-stream.js';

export function createOpenaiTap(route: RouteMatch, ctx: TapContext): ResponseTap {
  if (!isSuccess(ctx.status)) return errorBodyTap(ctx.status);
  if (isEventStream(ctx)) {
    if (route.api === 'openai.responses') return observeSse(new ResponsesStreamReader());
    return ctx.injectedStreamUsage ? chatRewriteTap() : observeSse(new ChatStreamReader());
  }
  return bufferBody((text, complete, tail) => readOpenaiBody(route.api, text, complete, tail));
}
