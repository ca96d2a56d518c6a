import { zeroUsage } from '../../core/usage.js';
import { asObject, asText, parseJson } from '../shared/json.js';
import { nothingMetered, sourceOf, withResponseId, withTier, withToolCalls } from '../shared/metered.js';
import { errorFromValue } from '../shared/upstream-error.js';
import type { Metered } from '../types.js';
import { countToolUseBlocks } from './content.js';
import { anthropicUsage } from './usage.js';

/** Reads a whole 2xx Message body (free APIs' bodies are not read: see FREE_APIS). */
export function readAnthropicBody(text: string | undefined, complete: boolean): Metered {
  const body = text === undefined ? undefined : asObject(parseJson(text));
  const error = body === undefined ? undefined : errorFromValue(body);
  if (body === undefined || error !== undefined) return nothingMetered(complete, error);
  const usage = asObject(body.usage);
  const m: Metered = {
    usage: withToolCalls(usage === undefined ? zeroUsage() : anthropicUsage(usage), countToolUseBlocks(body.content)),
    usageSource: sourceOf(usage !== undefined, true),
    servedModel: asText(body.model),
    error: undefined,
    sawEnd: complete,
  };
  return withResponseId(withTier(m, asText(usage?.service_tier)), asText(body.id));
}
