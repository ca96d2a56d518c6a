import { optionalCount, requireModel, requireObject, streamFlag } from '../shared/request.js';
import type { RequestInfo, RouteMatch } from '../types.js';
import { readPriceModifiers } from './usage.js';

export function inspectAnthropicRequest(route: RouteMatch, body: unknown): RequestInfo {
  const obj = requireObject(body, route.api);
  // A batch's requests name their own models; the batch itself has none.
  if (route.api === 'anthropic.batches') return { model: '', stream: false };
  const model = requireModel(obj, route.api);
  if (route.api === 'anthropic.count_tokens') return { model, stream: false };
  const info: RequestInfo = { model, stream: streamFlag(obj, route.api) };
  const cap = optionalCount(obj.max_tokens);
  if (cap !== undefined) info.maxOutputTokens = cap;
  readPriceModifiers(obj, info);
  return info;
}
