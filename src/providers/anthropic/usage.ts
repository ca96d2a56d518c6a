import { type Usage, tokens, zeroUsage } from '../../core/usage.js';
import { type JsonObject, dig } from '../shared/json.js';
import { addIterations, longWritesOfRounds } from './iterations.js';

/**
 * Maps a Messages `usage` (protocols.md §3.3, §7). Anthropic's `input_tokens` is only
 * the uncached part, so the total prompt adds the cache reads and writes.
 */
export function anthropicUsage(usage: JsonObject): Usage {
  const u = zeroUsage();
  const writes = usage.cache_creation_input_tokens;
  const split5m = tokens(dig(usage, 'cache_creation', 'ephemeral_5m_input_tokens'));
  const split1h = tokens(dig(usage, 'cache_creation', 'ephemeral_1h_input_tokens'));
  u.cacheReadTokens = tokens(usage.cache_read_input_tokens);
  u.cacheWriteTokens = typeof writes === 'number' ? tokens(writes) : split5m + split1h;
  u.cacheWrite1hTokens = Math.min(u.cacheWriteTokens, split1h);
  // With a server tool (web search) a stream's write total grows over its sampling rounds, while the
  // TTL split is message_start's, the first round's alone: the writes past it have the split's shares.
  const split = split5m + split1h;
  if (u.cacheWriteTokens > split && split > 0) u.cacheWrite1hTokens = split1h + Number((BigInt(u.cacheWriteTokens - split) * BigInt(split1h)) / BigInt(split));
  // A beta response's rounds give each round's split: exact where the shares above are a guess.
  u.cacheWrite1hTokens = longWritesOfRounds(usage, u.cacheWriteTokens) ?? u.cacheWrite1hTokens;
  u.inputTokens = tokens(usage.input_tokens) + u.cacheWriteTokens + u.cacheReadTokens;
  u.outputTokens = tokens(usage.output_tokens);
  addIterations(usage, u);
  // Informational: thinking is already inside output_tokens.
  u.reasoningTokens = Math.min(u.outputTokens, tokens(dig(usage, 'output_tokens_details', 'thinking_tokens')));
  // Billed by the search, on top of the tokens (§3.10).
  const searches = tokens(dig(usage, 'server_tool_use', 'web_search_requests'));
  if (searches > 0) u.webSearches = searches;
  readPriceModifiers(usage, u);
  return u;
}

/**
 * Anthropic's price modifiers, as a request asks for them or a usage reports them beside the
 * counts (`speed`, `inference_geo`): standard speed and no geography change nothing.
 */
export function readPriceModifiers(o: JsonObject, into: Pick<Usage, 'speed' | 'inferenceGeo'>): void {
  if (o.speed === 'fast') into.speed = 'fast';
  if (typeof o.inference_geo === 'string' && o.inference_geo !== '') into.inferenceGeo = o.inference_geo;
}

/**
 * Folds a `message_delta.usage` into the usage so far: its fields are cumulative totals,
 * so each non-null one replaces the old value. The TTL split only comes in message_start.
 */
export function overlayUsage(base: JsonObject, delta: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(delta)) {
    if (value !== null && value !== undefined && key !== 'cache_creation') out[key] = value;
  }
  return out;
}
