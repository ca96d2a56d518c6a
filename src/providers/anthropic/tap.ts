import { FREE_APIS } from '../../core/api.js';
import { bufferBody, createdObjectTap, errorBodyTap, freeBodyTap, isEventStream, isSuccess, observeSse, passBodyTap, sniffedStream } from '../shared/taps.js';
import type { ResponseTap, RouteMatch, TapContext } from '../types.js';
import { batchObjectTap, messageBatchResultsTap } from './batches.js';
import { readAnthropicBody } from './body.js';
import { AnthropicStreamReader } from './stream.js';

export function createAnthropicTap(route: RouteMatch, ctx: TapContext): ResponseTap {
  if (!isSuccess(ctx.status)) return errorBodyTap(ctx.status);
  if (route.api === 'anthropic.batches') return batchObjectTap(ctx.gatewayBase, route.method === 'POST' && route.resourceId === undefined);
  if (route.api === 'anthropic.batch_results') return messageBatchResultsTap(route.resourceId ?? '');
  if (route.api === 'anthropic.file_content') return passBodyTap();
  if (route.api === 'anthropic.files' && route.method === 'POST') return createdObjectTap((o) => o.type === 'file');
  if (route.api === 'anthropic.skill_content') return passBodyTap();
  if (route.api === 'anthropic.skills' && route.method === 'POST') return createdObjectTap((o) => o.type === 'skill');
  if (FREE_APIS.has(route.api)) return freeBodyTap();
  const events = (): ResponseTap => observeSse(new AnthropicStreamReader(), true);
  if (isEventStream(ctx)) return events();
  const body = (): ResponseTap => bufferBody((text, complete, tail) => readAnthropicBody(text, complete, tail, ctx.requestedModel));
  return ctx.stream && route.api === 'anthropic.messages' ? sniffedStream(events, body) : body();
}
