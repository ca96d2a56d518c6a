import { zeroUsage } from '../../core/usage.js';
import { type JsonObject, asArray, asObject, asText, dig } from '../shared/json.js';
import { sourceOf, withResponseId, withTier, withToolCalls } from '../shared/metered.js';
import type { Metered, UpstreamErrorInfo } from '../types.js';
import { geminiUsage } from './usage.js';

/** Parts with a `functionCall`, over all candidates of one GenerateContentResponse. */
export function countFunctionCalls(response: unknown): number {
  let n = 0;
  for (const candidate of asArray(dig(response, 'candidates')) ?? []) {
    for (const part of asArray(dig(candidate, 'content', 'parts')) ?? []) {
      if (asObject(dig(part, 'functionCall')) !== undefined) n++;
    }
  }
  return n;
}

export interface ResponseFacts {
  toolCalls: number;
  /** The usage is the last running total (the finishing chunk was seen). */
  final: boolean;
  sawEnd: boolean;
  error: UpstreamErrorInfo | undefined;
}

/** Meters from the last GenerateContentResponse that carried `usageMetadata` (or any, for the model). */
export function meterResponse(response: JsonObject | undefined, facts: ResponseFacts): Metered {
  const meta = asObject(response?.usageMetadata);
  const m: Metered = {
    usage: withToolCalls(meta === undefined ? zeroUsage() : geminiUsage(meta), facts.toolCalls),
    usageSource: sourceOf(meta !== undefined, facts.final),
    servedModel: asText(response?.modelVersion),
    error: facts.error,
    sawEnd: facts.sawEnd,
  };
  // The tier served, priority priced apart: the Gemini API says it in serviceTier (a priority request
  // may be served at standard), Vertex AI in trafficType (the SDK's GenerateContentResponseUsageMetadata).
  // Every streamed chunk repeats responseId, so the one kept for the usage has it too.
  return withResponseId(withTier(m, asText(meta?.trafficType) ?? asText(meta?.serviceTier)), asText(response?.responseId));
}
