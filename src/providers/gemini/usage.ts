import { type Usage, tokens, zeroUsage } from '../../core/usage.js';
import type { JsonObject } from '../shared/json.js';

/**
 * Maps `usageMetadata` (protocols.md §4.2, §7). Tool results fed back count as input;
 * thinking is billed as output but reported apart from the candidates.
 */
export function geminiUsage(meta: JsonObject): Usage {
  const u = zeroUsage();
  u.inputTokens = tokens(meta.promptTokenCount) + tokens(meta.toolUsePromptTokenCount);
  u.cacheReadTokens = tokens(meta.cachedContentTokenCount);
  u.reasoningTokens = tokens(meta.thoughtsTokenCount);
  u.outputTokens = tokens(meta.candidatesTokenCount) + u.reasoningTokens;
  return u;
}
