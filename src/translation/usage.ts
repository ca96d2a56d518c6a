import { type Usage, zeroUsage } from '../core/usage.js';
import { chatUsage } from '../providers/openai/usage.js';

/**
 * Usage both ways, from the normalised record the upstream's own tap reads
 * (src/providers/*\/usage.ts), so that the client sees the same counts the ledger records.
 * Anthropic's `input_tokens` is the uncached part only; OpenAI's `prompt_tokens` is all of it.
 */
export function anthropicUsageOf(u: Usage): Record<string, unknown> {
  const writes = u.cacheWriteTokens;
  const out: Record<string, unknown> = {
    input_tokens: Math.max(0, u.inputTokens - u.cacheReadTokens - writes),
    cache_creation_input_tokens: writes,
    cache_read_input_tokens: u.cacheReadTokens,
    cache_creation: { ephemeral_5m_input_tokens: writes - u.cacheWrite1hTokens, ephemeral_1h_input_tokens: u.cacheWrite1hTokens },
    output_tokens: u.outputTokens,
  };
  if (u.reasoningTokens > 0) out.output_tokens_details = { thinking_tokens: u.reasoningTokens };
  return out;
}

/**
 * A chat answer's usage, or, when the upstream sent none (a local server that ignores
 * `stream_options`), the input estimate the ledger records for it: a client that tracks its
 * context (Claude Code) must not be told its prompt was empty.
 */
export function chatUsageOrEstimate(usage: unknown, cacheN: number | undefined, estimate: (() => number | undefined) | undefined): Usage {
  if (usage !== undefined && usage !== null) return chatUsage(usage, cacheN);
  return { ...zeroUsage(), inputTokens: estimate?.() ?? 0 };
}

/** The `message_delta` usage: cumulative totals, no TTL split (protocols.md §3.4). */
export function anthropicDeltaUsageOf(u: Usage): Record<string, unknown> {
  const { cache_creation: _split, ...rest } = anthropicUsageOf(u);
  return rest;
}

export function openaiUsageOf(u: Usage): Record<string, unknown> {
  const prompt: Record<string, number> = { cached_tokens: u.cacheReadTokens };
  if (u.cacheWriteTokens > 0) prompt.cache_write_tokens = u.cacheWriteTokens;
  return {
    prompt_tokens: u.inputTokens,
    completion_tokens: u.outputTokens,
    total_tokens: u.inputTokens + u.outputTokens,
    prompt_tokens_details: prompt,
    completion_tokens_details: { reasoning_tokens: u.reasoningTokens },
  };
}
