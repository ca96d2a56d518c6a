import { type Usage, type UsageSource, zeroUsage } from '../../core/usage.js';
import type { Metered, UpstreamErrorInfo } from '../types.js';

/** A Metered record with nothing known yet. */
export function nothingMetered(sawEnd: boolean, error?: UpstreamErrorInfo): Metered {
  return { usage: zeroUsage(), usageSource: 'none', servedModel: undefined, error, sawEnd };
}

/** 'final' when the terminal usage was seen, 'partial' when only some was, 'none' otherwise. */
export function sourceOf(hasUsage: boolean, final: boolean): UsageSource {
  if (!hasUsage) return 'none';
  return final ? 'final' : 'partial';
}

/** Copies the usage with `toolCalls` set: tool calls are counted apart from the token fields. */
export function withToolCalls(usage: Usage, toolCalls: number): Usage {
  // Spelled out: a spread followed by an override is a slow path in V8, and this runs per request.
  const out: Usage = {
    inputTokens: usage.inputTokens,
    cacheReadTokens: usage.cacheReadTokens,
    cacheWriteTokens: usage.cacheWriteTokens,
    cacheWrite1hTokens: usage.cacheWrite1hTokens,
    outputTokens: usage.outputTokens,
    reasoningTokens: usage.reasoningTokens,
    toolCalls,
  };
  if (usage.audio !== undefined) out.audio = usage.audio;
  if (usage.imageInput !== undefined) out.imageInput = usage.imageInput;
  if (usage.webSearches !== undefined) out.webSearches = usage.webSearches;
  if (usage.imageGeneration !== undefined) out.imageGeneration = usage.imageGeneration;
  if (usage.rounds !== undefined) out.rounds = usage.rounds;
  if (usage.speed !== undefined) out.speed = usage.speed;
  if (usage.inferenceGeo !== undefined) out.inferenceGeo = usage.inferenceGeo;
  return out;
}

/** Leaves `serviceTier` off when unknown, so records compare equal with or without it. */
export function withTier(m: Metered, tier: string | undefined): Metered {
  if (tier !== undefined) m.serviceTier = tier;
  return m;
}

/** Leaves `responseId` off when unknown, as withTier does the tier. */
export function withResponseId(m: Metered, id: string | undefined): Metered {
  if (id !== undefined) m.responseId = id;
  return m;
}
