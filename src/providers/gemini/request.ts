import { type JsonObject, asObject, asText } from '../shared/json.js';
import { choiceCount, optionalCount, requireModel, requireObject } from '../shared/request.js';
import type { RequestInfo, RouteMatch } from '../types.js';
import { modelOf } from './caches.js';

/** Gemini names the model and the streaming in the path; the body only has the output cap and the number of candidates. */
export function inspectGeminiRequest(route: RouteMatch, body: unknown): RequestInfo {
  const obj = requireObject(body, route.api);
  // A cache names its model in the body (`models/…`); extending one (PATCH) names none.
  if (route.api === 'gemini.caches') return { model: modelOf(requireModel(obj, route.api))!, stream: false };
  if (route.api === 'gemini.caches_lookup' || route.api === 'gemini.interactions_lookup') return { model: '', stream: false };
  if (route.api === 'gemini.interactions') return inspectInteraction(obj);
  // A batch runs the model its creation's path names; its requests are read at its admission (gateway/batch-admission.ts).
  if (route.api === 'gemini.batches') return { model: route.model ?? '', stream: false };
  const info: RequestInfo = { model: route.model ?? requireModel(obj, route.api), stream: route.streamByPath === true };
  // Proto JSON takes a field by either name (`generation_config`, `max_output_tokens`): the largest cap given is one the upstream could use.
  const configs = [asObject(obj.generationConfig), asObject(obj.generation_config)];
  const caps = configs.flatMap((c) => [optionalCount(c?.maxOutputTokens), optionalCount(c?.max_output_tokens)]).filter((n) => n !== undefined);
  if (caps.length > 0) info.maxOutputTokens = Math.max(...caps);
  if (route.api === 'gemini.generate') {
    // Each candidate is billed.
    const choices = choiceCount(...configs.flatMap((c) => [c?.candidateCount, c?.candidate_count]));
    if (choices > 1) info.choices = choices;
  }
  return info;
}

/**
 * An Interactions create names its model in the body (or an agent, which runs models of its own
 * choosing: named as the model, which no price fits), its streaming as `stream`, and its cap in
 * `generation_config.max_output_tokens`.
 */
function inspectInteraction(obj: JsonObject): RequestInfo {
  const agent = asText(obj.agent);
  const model = agent !== undefined && obj.model === undefined ? agent : modelOf(requireModel(obj, 'gemini.interactions'))!;
  const info: RequestInfo = { model, stream: obj.stream === true };
  const cap = optionalCount(asObject(obj.generation_config)?.max_output_tokens);
  if (cap !== undefined) info.maxOutputTokens = cap;
  return info;
}
