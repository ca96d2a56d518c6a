import { type JsonObject, asObject, asText } from '../shared/json.js';
import { choiceCount, optionalCount, requireModel, requireObject } from '../shared/request.js';
import type { RequestInfo, RouteMatch } from '../types.js';
import { modelOf } from './caches.js';

/** Where a body keeps its output cap: the config objects and their fields that may hold it, the names written first. */
export interface CapNames {
  configs: readonly string[];
  fields: readonly string[];
}
/** generateContent's names, Google's own first: proto JSON takes each field by either name. */
export const GEMINI_CAP: CapNames = { configs: ['generationConfig', 'generation_config'], fields: ['maxOutputTokens', 'max_output_tokens'] };
/** An interaction's: its API takes no other spelling. */
export const INTERACTION_CAP: CapNames = { configs: ['generation_config'], fields: ['max_output_tokens'] };

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
  const cap = outputCap(obj, GEMINI_CAP);
  if (cap !== undefined) info.maxOutputTokens = cap;
  if (route.api === 'gemini.generate') {
    // Proto JSON takes a field by either name: each candidate is billed.
    const configs = [asObject(obj.generationConfig), asObject(obj.generation_config)];
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
  const cap = outputCap(obj, INTERACTION_CAP);
  if (cap !== undefined) info.maxOutputTokens = cap;
  return info;
}

/** The cap a body gives under any of its API's names: the largest, which is one the upstream could use. */
function outputCap(obj: JsonObject, names: CapNames): number | undefined {
  const caps = names.configs.flatMap((c) => names.fields.map((f) => optionalCount(asObject(obj[c])?.[f]))).filter((n) => n !== undefined);
  return caps.length > 0 ? Math.max(...caps) : undefined;
}
