import { type ImageGenerationTokens, type Usage, tokens, zeroUsage } from '../../core/usage.js';
import { asArray, asObject, dig } from '../shared/json.js';

/**
 * Chat Completions `usage` (protocols.md §1.3, §7), also used for vLLM, llama.cpp and
 * Ollama. llama.cpp reports its KV-cache reuse as `timings.cache_n` instead of
 * `prompt_tokens_details` (§5.2); `timingsCacheN` carries it from wherever it came.
 */
export function chatUsage(usage: unknown, timingsCacheN?: number): Usage {
  const details = dig(usage, 'prompt_tokens_details');
  // Servers that leave out the details report their cache hits beside the counts: DeepSeek as
  // `prompt_cache_hit_tokens`, Moonshot (Kimi) as `cached_tokens`; both inside `prompt_tokens`, as OpenAI's.
  const cached = firstNumber(dig(details, 'cached_tokens'), dig(usage, 'prompt_cache_hit_tokens'), dig(usage, 'cached_tokens'), timingsCacheN);
  const u = zeroUsage();
  u.inputTokens = tokens(dig(usage, 'prompt_tokens'));
  u.cacheReadTokens = tokens(cached);
  u.cacheWriteTokens = tokens(dig(details, 'cache_write_tokens'));
  u.cacheWrite1hTokens = Math.min(u.cacheWriteTokens, tokens(dig(details, 'cache_write_tokens_details', 'ttl_12h_tokens')));
  u.outputTokens = tokens(dig(usage, 'completion_tokens'));
  u.reasoningTokens = tokens(dig(usage, 'completion_tokens_details', 'reasoning_tokens'));
  // Audio in or out (`modalities: ["audio"]`), which audio models price apart.
  const audioIn = tokens(dig(details, 'audio_tokens'));
  const audioOut = tokens(dig(usage, 'completion_tokens_details', 'audio_tokens'));
  if (audioIn + audioOut > 0) u.audio = { input: audioIn, cacheRead: 0, output: audioOut };
  return u;
}

/**
 * Responses API `usage` (§1.7): the 12-hour cache writes are the long-TTL part. The Response's
 * `tool_usage` is billed apart from `usage`: its web searches (billable ones only) by the search,
 * its image generation at the image model's rates (the model from the Response's `tools`).
 */
export function responsesUsage(usage: unknown, toolUsage?: unknown, tools?: unknown): Usage {
  const details = dig(usage, 'input_tokens_details');
  const ttl = asObject(dig(details, 'cache_write_tokens_details'));
  const u = zeroUsage();
  u.inputTokens = tokens(dig(usage, 'input_tokens'));
  u.cacheReadTokens = tokens(dig(details, 'cached_tokens'));
  const writes = dig(details, 'cache_write_tokens');
  u.cacheWriteTokens = typeof writes === 'number' ? tokens(writes) : tokens(ttl?.ttl_30m_tokens) + tokens(ttl?.ttl_12h_tokens);
  u.cacheWrite1hTokens = Math.min(u.cacheWriteTokens, tokens(ttl?.ttl_12h_tokens));
  u.outputTokens = tokens(dig(usage, 'output_tokens'));
  u.reasoningTokens = tokens(dig(usage, 'output_tokens_details', 'reasoning_tokens'));
  const searches = tokens(dig(toolUsage, 'web_search', 'num_requests'));
  if (searches > 0) u.webSearches = searches;
  const images = imageGeneration(dig(toolUsage, 'image_gen'), tools);
  if (images) u.imageGeneration = images;
  return u;
}

/** The `image_generation` tool's model when its config names none (the SDK's `ImageGeneration.model`: "Default: gpt-image-1"). */
const DEFAULT_IMAGE_MODEL = 'gpt-image-1';

/** `tool_usage.image_gen`, with the model of the Response's `image_generation` tool; undefined when it made nothing. */
function imageGeneration(gen: unknown, tools: unknown): ImageGenerationTokens | undefined {
  const input = tokens(dig(gen, 'input_tokens'));
  const output = tokens(dig(gen, 'output_tokens'));
  if (input + output === 0) return undefined;
  const imageInput = Math.min(input, tokens(dig(gen, 'input_tokens_details', 'image_tokens')));
  const text = dig(gen, 'input_tokens_details', 'text_tokens');
  const textInput = Math.min(input - imageInput, typeof text === 'number' ? tokens(text) : input - imageInput);
  const cached = dig(gen, 'cached_tokens') ?? dig(gen, 'input_tokens_details', 'cached_tokens');
  const tool = asArray(tools)?.map(asObject).find((t) => t?.type === 'image_generation');
  const model = typeof tool?.model === 'string' && tool.model !== '' ? tool.model : DEFAULT_IMAGE_MODEL;
  return { model, textInput, imageInput, cachedInput: Math.min(textInput + imageInput, tokens(cached)), output };
}

/** Embeddings `usage` (§1.8): input only. */
export function embeddingsUsage(usage: unknown): Usage {
  const u = zeroUsage();
  u.inputTokens = tokens(dig(usage, 'prompt_tokens') ?? dig(usage, 'total_tokens'));
  return u;
}

function firstNumber(...values: unknown[]): unknown {
  return values.find((v) => typeof v === 'number');
}

/** llama.cpp's `timings.cache_n`, if the object has one. */
export function timingsCacheN(obj: unknown): number | undefined {
  const n = dig(obj, 'timings', 'cache_n');
  return typeof n === 'number' ? n : undefined;
}
