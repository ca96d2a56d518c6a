import { zeroUsage } from '../../core/usage.js';
import { closingMember } from '../shared/closing-member.js';
import { asObject, asText, parseJson } from '../shared/json.js';
import { nothingMetered, sourceOf, withResponseId, withTier, withToolCalls } from '../shared/metered.js';
import { errorFromValue } from '../shared/upstream-error.js';
import type { Metered } from '../types.js';
import { countToolUseBlocks } from './content.js';
import { fallbackModel } from './iterations.js';
import { anthropicUsage } from './usage.js';

/**
 * Reads a whole 2xx Message body (free APIs' bodies are not read: see FREE_APIS); `tail`, the end
 * of one too large to copy, answered by `sentModel`.
 */
export function readAnthropicBody(text: string | undefined, complete: boolean, tail?: Buffer, sentModel?: string): Metered {
  if (text === undefined && tail !== undefined) return readTail(tail, complete, sentModel);
  const body = text === undefined ? undefined : asObject(parseJson(text));
  const error = body === undefined ? undefined : errorFromValue(body);
  if (body === undefined || error !== undefined) return nothingMetered(complete, error);
  const usage = asObject(body.usage);
  const m: Metered = {
    usage: withToolCalls(usage === undefined ? zeroUsage() : anthropicUsage(usage), countToolUseBlocks(body.content)),
    usageSource: sourceOf(usage !== undefined, true),
    servedModel: fallbackModel(usage) ?? asText(body.model),
    error: undefined,
    sawEnd: complete,
  };
  const container = asText(asObject(body.container)?.id);
  if (container !== undefined) m.containers = [container];
  return withResponseId(withTier(m, asText(usage?.service_tier)), asText(body.id));
}

/**
 * A Message too large to copy (web fetches return PDFs inline, base64): `usage` closes it, so
 * the body's last bytes still give the usage. `id` and `model` come before the content, out
 * of the tail: the model is the one sent, and the response id unknown. Tool calls are not counted.
 */
function readTail(tail: Buffer, complete: boolean, sentModel: string | undefined): Metered {
  const usage = asObject(closingMember(tail, 'usage'));
  const m: Metered = {
    usage: usage === undefined ? zeroUsage() : anthropicUsage(usage),
    usageSource: sourceOf(usage !== undefined, true),
    // Read in case a Message ever closes with its model; today it opens with it.
    servedModel: fallbackModel(usage) ?? asText(closingMember(tail, 'model')) ?? sentModel,
    error: undefined,
    sawEnd: complete,
  };
  return withTier(m, asText(usage?.service_tier));
}
