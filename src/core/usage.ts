/**
 * One normalised usage record for every provider (protocols.md §7).
 *
 * `inputTokens` counts every prompt token, cache reads and writes included, so that
 * `inputTokens - cacheReadTokens - cacheWriteTokens` is the uncached input.
 * `cacheWrite1hTokens` is the part of `cacheWriteTokens` written with a TTL of one hour
 * or longer (Anthropic 1h, OpenAI 12h). `outputTokens` includes reasoning.
 */
export interface Usage {
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  cacheWrite1hTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  toolCalls: number;
  /**
   * The audio part of the counts, where the response reports it (OpenAI Chat's token details,
   * Gemini's modality details): priced at the model's audio rates where it has them. Parts of
   * `inputTokens`, `cacheReadTokens` and `outputTokens`. Not a ledger column: a row keeps the
   * cost it made.
   */
  audio?: AudioTokens;
  /**
   * The image part of `inputTokens` (the pictures an image model is given to edit, OpenAI's
   * `input_tokens_details.image_tokens`), priced at the model's image input rate where it has one.
   */
  imageInput?: number;
  /**
   * Server-side web searches the provider bills by the search (Anthropic's
   * `server_tool_use.web_search_requests`, OpenAI's `tool_usage.web_search.num_requests`),
   * priced at the model's per-search price. Not a ledger column either.
   */
  webSearches?: number;
  /**
   * Images a tool made on the request's behalf (the Responses API's `image_generation` tool,
   * reported in `tool_usage.image_gen`): tokens of another model, the image model, billed at
   * its rates and apart from the counts above. Not a ledger column: a row keeps the cost it made.
   */
  imageGeneration?: ImageGenerationTokens;
  /**
   * Sampling rounds billed apart, each at its own length tier (Anthropic's `usage.iterations`, whose
   * top-level counts leave these out): an advisor's sub-inference or a fallback's declined hop, on
   * its `model`, outside the counts above (a declined hop inside them where `inCounts`); a compaction
   * round, on the request's model (no `model`), inside them. Not a ledger column either.
   */
  rounds?: SeparateRound[];
  /** Anthropic's `speed` (`fast` bills a model-specific premium) and `inference_geo` (`us` bills 1.1x on Opus 4.6+), as the usage reports them. */
  speed?: string;
  inferenceGeo?: string;
}

/** The counts a ledger row keeps: not the audio part, the searches or the modifiers, which only pricing reads. */
export type UsageCounts = Omit<Usage, 'audio' | 'imageInput' | 'webSearches' | 'imageGeneration' | 'rounds' | 'speed' | 'inferenceGeo'>;

export interface ImageGenerationTokens {
  /** The image model: the tool's `model`, else OpenAI's default for the tool. */
  model: string;
  textInput: number;
  imageInput: number;
  /** Input tokens read from the cache: part of textInput + imageInput. */
  cachedInput: number;
  /** Image tokens made. */
  output: number;
}

/** One round billed apart: its model (none: the request's own) and its counts. */
export interface SeparateRound {
  model?: string;
  usage: Usage;
  /** Another model's round already inside the request's counts (a fallback's declined hop, where the counts hold every hop). */
  inCounts?: boolean;
}

export interface AudioTokens {
  input: number;
  cacheRead: number;
  output: number;
}

/** How the usage was obtained: the provider's final count, a partial stream, an estimate, or nothing. */
/** Every field of Usage, for code that sums or copies them all. */
export const USAGE_KEYS = ['inputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'cacheWrite1hTokens', 'outputTokens', 'reasoningTokens', 'toolCalls'] as const satisfies readonly (keyof Usage)[];

export type UsageSource = 'final' | 'partial' | 'estimated' | 'none';

export const USAGE_SOURCES: readonly UsageSource[] = ['final', 'partial', 'estimated', 'none'];

/** The characters of text (input, or output streamed before a cut) the gateway counts as one token when it must estimate. */
export const CHARS_PER_TOKEN = 4;

/** Tokens estimated from `chars` characters of text, rounding up. */
export function tokensOfChars(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

/** Whether any tokens were counted: a usage of none is not billed. */
export function hasTokens(u: Usage): boolean {
  return u.inputTokens + u.outputTokens > 0;
}

export function zeroUsage(): Usage {
  return {
    inputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    outputTokens: 0,
    reasoningTokens: 0,
    toolCalls: 0,
  };
}

/**
 * More tokens than any request has: a count above it is garbage (or hostile), not usage. It also
 * keeps every row's cost within a 64-bit count of picodollars at any catalog price.
 */
export const MAX_TOKENS = 1_000_000_000;

/** Coerces an unknown JSON value to a non-negative integer token count (0 when absent, or not a believable count). */
export function tokens(value: unknown): number {
  return typeof value === 'number' && value > 0 && value <= MAX_TOKENS ? Math.floor(value) : 0;
}

/** Uncached input: what is billed at the plain input price. Never negative. */
export function uncachedInput(u: Usage): number {
  return Math.max(0, u.inputTokens - u.cacheReadTokens - u.cacheWriteTokens);
}

/** The usage fields of anything that carries them (a ledger row, an attempt), as a fresh Usage. */
export function usageOf(u: Usage): Usage {
  return {
    inputTokens: u.inputTokens,
    cacheReadTokens: u.cacheReadTokens,
    cacheWriteTokens: u.cacheWriteTokens,
    cacheWrite1hTokens: u.cacheWrite1hTokens,
    outputTokens: u.outputTokens,
    reasoningTokens: u.reasoningTokens,
    toolCalls: u.toolCalls,
  };
}
