import { type Usage, tokens, zeroUsage } from '../../core/usage.js';
import { type JsonObject, asObject } from '../shared/json.js';

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
  // Audio is priced apart (Gemini Flash: input audio over three times text): the modality details say how much.
  const input = audioCount(meta.promptTokensDetails) + audioCount(meta.toolUsePromptTokensDetails);
  const cacheRead = audioCount(meta.cacheTokensDetails);
  const output = audioCount(meta.candidatesTokensDetails);
  if (input + cacheRead + output > 0) u.audio = { input, cacheRead, output };
  return u;
}

/** The AUDIO entry of a `ModalityTokenCount[]` (`[{modality, tokenCount}]`), 0 when none. */
function audioCount(details: unknown): number {
  if (!Array.isArray(details)) return 0;
  let n = 0;
  for (const d of details as unknown[]) {
    const o = asObject(d);
    if (o?.modality === 'AUDIO') n += tokens(o.tokenCount);
  }
  return n;
}
