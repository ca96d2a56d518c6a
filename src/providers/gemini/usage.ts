import { type Usage, tokens, zeroUsage } from '../../core/usage.js';
import { type JsonObject, asArray, asObject } from '../shared/json.js';

/** Where a Gemini API puts each count: generateContent's `usageMetadata` and the Interactions API's `usage` name them apart. */
interface UsageNames {
  prompt: string;
  toolPrompt: string;
  cached: string;
  thoughts: string;
  output: string;
  /** The `[{modality, <count>}]` breakdowns of the prompt, tool prompt, cached part and output. */
  details: readonly [string, string, string, string];
  count: string;
}

const GENERATE: UsageNames = {
  prompt: 'promptTokenCount',
  toolPrompt: 'toolUsePromptTokenCount',
  cached: 'cachedContentTokenCount',
  thoughts: 'thoughtsTokenCount',
  output: 'candidatesTokenCount',
  details: ['promptTokensDetails', 'toolUsePromptTokensDetails', 'cacheTokensDetails', 'candidatesTokensDetails'],
  count: 'tokenCount',
};

const INTERACTION: UsageNames = {
  prompt: 'total_input_tokens',
  toolPrompt: 'total_tool_use_tokens',
  cached: 'total_cached_tokens',
  thoughts: 'total_thought_tokens',
  output: 'total_output_tokens',
  details: ['input_tokens_by_modality', 'tool_use_tokens_by_modality', 'cached_tokens_by_modality', 'output_tokens_by_modality'],
  count: 'tokens',
};

/**
 * Maps `usageMetadata` (protocols.md §4.2, §7). The prompt's count includes its cached part;
 * tool results fed back count as input; thinking is billed as output but reported apart from the candidates.
 */
export const geminiUsage = (meta: JsonObject): Usage => mapUsage(meta, GENERATE);

/** Maps an interaction's `usage`: the same counts as generateContent's, under the Interactions API's own names. */
export const interactionUsage = (u: JsonObject): Usage => mapUsage(u, INTERACTION);

function mapUsage(meta: JsonObject, n: UsageNames): Usage {
  const u = zeroUsage();
  u.inputTokens = tokens(meta[n.prompt]) + tokens(meta[n.toolPrompt]);
  u.cacheReadTokens = tokens(meta[n.cached]);
  u.reasoningTokens = tokens(meta[n.thoughts]);
  u.outputTokens = tokens(meta[n.output]) + u.reasoningTokens;
  // Audio is priced apart (Gemini Flash: input audio over three times text): the modality breakdowns say how much.
  const [prompt, toolPrompt, cached, output] = n.details.map((d) => audioCount(meta[d], n.count));
  if (prompt! + toolPrompt! + cached! + output! > 0) u.audio = { input: prompt! + toolPrompt!, cacheRead: cached!, output: output! };
  return u;
}

/** The audio entry of a modality breakdown (`[{modality, <count>}]`), 0 when none. */
function audioCount(details: unknown, count: string): number {
  let n = 0;
  for (const d of asArray(details) ?? []) {
    const o = asObject(d);
    if (typeof o?.modality === 'string' && o.modality.toUpperCase() === 'AUDIO') n += tokens(o[count]);
  }
  return n;
}
