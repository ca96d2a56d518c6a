import type { Logger } from '../core/logger.js';
import type { Picos } from '../core/money.js';
import { type Usage, zeroUsage } from '../core/usage.js';
import type { PriceFn } from '../metering/build-row.js';
import { estimateInputTokens } from '../metering/estimate.js';
import { findMedia } from '../metering/media/media.js';
import { mediaTokens } from '../metering/media/media-tokens.js';

/**
 * How input tokens are counted before forwarding. `conservative` counts every byte of the
 * request body's text as a token (a BPE token always covers at least one byte of text) and
 * each image or PDF at the most its provider bills for it: an upper bound (but for a PDF given
 * by reference, see metering/media/media-tokens.ts). `typical` uses about four characters per token and each
 * image's or PDF's usual count: closer to the truth, but no longer a bound.
 */
export type InputCounting = 'conservative' | 'typical';

export interface EstimateInput {
  bodyBytes: number;
  json: unknown;
  /** The model the request is priced at: images are counted by its provider's rules (by the block's dialect's when not named). */
  model?: string;
  /** The output cap the client sent, if any: each answer's. */
  maxOutputTokens: number | undefined;
  /** How many answers the request asks for (RequestInfo.choices); 1 when unset. */
  choices?: number;
  /** Used when the client sent none. */
  defaultMaxOutputTokens: number;
  counting: InputCounting;
  /** What stored context the request continues counts as, when it continues one; absent, REFERENCED_CONTEXT_TOKENS. */
  context?: StoredContext;
}

/**
 * What a Responses request that continues stored context (`previous_response_id`, `conversation`)
 * counts for it: the previous response's own input and output tokens, from its ledger row, or
 * `policy.responses_context_tokens` when they are not known.
 */
export interface StoredContext {
  tokens: number;
  /** The previous response whose row gave `tokens`; null when they are the setting's. */
  previous: string | null;
}

export interface Estimate {
  inputTokens: number;
  /** Of all the answers the request asks for: each counts its cap. */
  outputTokens: number;
  /** Whether the estimate bounds the cost (the client capped the output and input is counted conservatively). */
  bounded: boolean;
  /** How many answers the request asks for (`n`, `best_of`, `candidateCount`); absent when one. */
  choices?: number;
  /** Of `inputTokens`, those counted for images and PDFs; absent when the body has none. */
  mediaTokens?: number;
  /** How many images and PDFs the body has; absent when none. */
  media?: number;
  /** Of `inputTokens`, those counted for a stored response or conversation the request continues; absent when it continues none. */
  referencedTokens?: number;
  /** The previous response whose ledger row gave `referencedTokens`; null when they are `policy.responses_context_tokens`. */
  referencedFrom?: string | null;
}

/**
 * Input counted by default (`policy.responses_context_tokens`) for the stored context a Responses
 * request continues (`previous_response_id`, `conversation`) when its size is not known: the
 * provider bills it as input, but it is not in the body, whose bytes are all the estimate can see
 * (a follow-up of a few bytes was billed 50,000 tokens). GPT-4o's context window: an allowance,
 * not a bound for larger windows, as a PDF by reference is.
 */
export const REFERENCED_CONTEXT_TOKENS = 128_000;

/** The stored response a Responses request continues (`previous_response_id`), if it names one. */
export function previousResponseId(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const prev = (json as Record<string, unknown>).previous_response_id;
  return typeof prev === 'string' && prev !== '' ? prev : undefined;
}

export function continuesStoredContext(json: unknown): boolean {
  if (previousResponseId(json) !== undefined) return true;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return false;
  const conv = (json as Record<string, unknown>).conversation;
  return (typeof conv === 'string' && conv !== '') || (typeof conv === 'object' && conv !== null);
}

export function estimateTokens(e: EstimateInput): Estimate {
  const body = estimateBody(e);
  if (!continuesStoredContext(e.json)) return body;
  const { tokens, previous } = e.context ?? { tokens: REFERENCED_CONTEXT_TOKENS, previous: null };
  return { ...body, inputTokens: body.inputTokens + tokens, bounded: false, referencedTokens: tokens, referencedFrom: previous };
}

function estimateBody(e: EstimateInput): Estimate {
  const cap = outputCap(e.maxOutputTokens);
  const each = cap ?? e.defaultMaxOutputTokens;
  const choices = e.choices !== undefined && e.choices > 1 ? e.choices : 1;
  // Each choice may run to the cap: n=8 with max_tokens 100 is billed up to 800 output tokens.
  const out = { outputTokens: choices > 1 ? each * choices : each, bounded: cap !== undefined && e.counting === 'conservative', ...(choices > 1 ? { choices } : {}) };
  const found = findMedia(e.json);
  if (found.length === 0) return { inputTokens: e.counting === 'conservative' ? e.bodyBytes : estimateInputTokens(e.json, Infinity, e.model), ...out };
  const model = e.model ?? '';
  const mode = e.counting === 'conservative' ? 'max' : 'typical';
  const media = found.reduce((n, m) => n + mediaTokens(m, model, mode), 0);
  if (e.counting === 'typical') return { inputTokens: estimateInputTokens(e.json, Infinity, model), ...out, mediaTokens: media, media: found.length };
  // The media's characters are in the body's bytes (at least once each: JSON escapes only add); they are counted as the media instead.
  const text = Math.max(0, e.bodyBytes - found.reduce((n, m) => n + m.chars, 0));
  return { inputTokens: text + media, ...out, mediaTokens: media, media: found.length };
}

/**
 * The output cap an estimate counts, from the number the client sent (forwarded as it is: the
 * provider decides whether it takes it). A fraction rounds up, as a token is billed whole; zero,
 * a negative number, NaN or anything not a number is no cap.
 */
export function outputCap(cap: unknown): number | undefined {
  return typeof cap === 'number' && cap > 0 ? Math.ceil(cap) : undefined;
}

/**
 * The output cap of each of an estimate's answers (what `enforce_max_tokens` writes in the body).
 * Exact while the total is a safe integer; past it the estimate costs more than any limit anyway.
 */
export function outputPerChoice(e: Pick<Estimate, 'outputTokens' | 'choices'>): number {
  return e.choices === undefined ? e.outputTokens : Math.ceil(e.outputTokens / e.choices);
}

/**
 * What an estimate too large to count is taken to cost: more than any limit can be (a budget's
 * limit and each increase on it are at most $10^12, rule-input.ts MAX_AMOUNT_USD), so that the
 * request is refused as costing more than the whole limit. Messages say so rather than print it.
 */
export const BEYOND_ANY_LIMIT: Picos = 10n ** 36n;

export interface PriceContext {
  price: PriceFn;
  provider: string;
  catalogProvider: string | undefined;
  model: string;
  at: Date;
  /** The tier the requests run at, when not the standard one (a batch's). */
  serviceTier?: string;
  /** Price modifiers the request asks for. */
  modifiers?: Pick<Usage, 'speed' | 'inferenceGeo'>;
}

/**
 * The most the estimated tokens can cost: every input token priced at the dearest input
 * rate (a one-hour cache write costs more than plain input), plus the output at its rate.
 * Null when the model has no price; BEYOND_ANY_LIMIT when the cost is more than one row can
 * hold, or the tokens more than a number counts exactly (2^53), for a model that has one.
 */
export function estimateCost(est: Pick<Estimate, 'inputTokens' | 'outputTokens'>, ctx: PriceContext): Picos | null {
  const q = (usage: Usage) => ctx.price({ provider: ctx.provider, catalogProvider: ctx.catalogProvider, model: ctx.model, usage: { ...usage, ...ctx.modifiers }, at: ctx.at, serviceTier: ctx.serviceTier });
  // Usage is priced in whole tokens (BigInt refuses a fraction): round up, as the bill does.
  const input = est.inputTokens > 0 ? Math.ceil(est.inputTokens) : 0;
  const output = est.outputTokens > 0 ? Math.ceil(est.outputTokens) : 0;
  if (!Number.isSafeInteger(input) || !Number.isSafeInteger(output)) {
    // Whether the model has a price at all: an unpriced one stays unpriced, however large the cap.
    const some = q({ ...zeroUsage(), inputTokens: Math.min(input, Number.MAX_SAFE_INTEGER), outputTokens: Math.min(output, Number.MAX_SAFE_INTEGER) });
    return some.costPicos === null && !some.tooLarge ? null : BEYOND_ANY_LIMIT;
  }
  const plain = q({ ...zeroUsage(), inputTokens: input, outputTokens: output });
  if (plain.costPicos === null) return plain.tooLarge ? BEYOND_ANY_LIMIT : null;
  const written = q({ ...zeroUsage(), inputTokens: input, cacheWriteTokens: input, cacheWrite1hTokens: input, outputTokens: output });
  if (written.tooLarge) return BEYOND_ANY_LIMIT;
  return written.costPicos !== null && written.costPicos > plain.costPicos ? written.costPicos : plain.costPicos;
}

/**
 * The largest output cap whose worst-case cost fits `room` (for `enforce_max_tokens`), each of
 * `choices` answers running to it, found by bisection because tiered prices are not linear.
 * Zero when even no output does not fit.
 */
export function affordableOutputTokens(inputTokens: number, ceiling: number, room: Picos, ctx: PriceContext, choices = 1): number {
  let lo = 0;
  // Past 2^53 a step of one is lost (mid - 1 === mid) and the search would never end.
  let hi = Math.floor(Math.min(ceiling, Number.MAX_SAFE_INTEGER));
  const cost = (out: number) => estimateCost({ inputTokens, outputTokens: out * choices }, ctx) ?? 0n;
  if (cost(0) > room) return 0;
  while (lo < hi) {
    const mid = lo + Math.ceil((hi - lo) / 2);
    if (cost(mid) <= room) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Distinct unpriced models remembered as told; past it the oldest go (and may be told again). */
export const UNPRICED_REMEMBERED = 10_000;
/** Unpriced models told one by one in an hour; the others that hour are told as a count. */
export const UNPRICED_TOLD_PER_HOUR = 20;
const HOUR_MS = 3_600_000;

/** Where unpriced models are told: each by name, or those past the hour's share as a count. */
export interface UnpricedTeller {
  model(provider: string, model: string): void;
  others(count: number): void;
}

/** Unpriced models told as warnings in the gateway's log. */
export function unpricedWarnings(log: Logger): UnpricedTeller {
  return {
    model: (provider, model) => log.warn("model has no price: budgets cannot bound its spend (add a pricing override, or set the provider's catalog)", { provider, model }),
    others: (count) => log.warn(`more models had no price in the past hour than the ${UNPRICED_TOLD_PER_HOUR} logged one by one: budgets cannot bound their spend`, { count }),
  };
}

/**
 * `estimateCost` for admission: a model without a price counts as free (a budget cannot bound
 * it), and `tell` hears of it once per provider and model, for at most UNPRICED_TOLD_PER_HOUR
 * models an hour; the count of the others comes with the first unpriced estimate after the hour.
 * Any caller can name made-up models, so neither the memory nor the log may grow with them.
 */
export function estimatePricer(tell: UnpricedTeller, now: () => number = Date.now): (e: Pick<Estimate, 'inputTokens' | 'outputTokens'>, ctx: PriceContext) => Picos {
  const told = new Set<string>();
  let hour = -Infinity;
  let toldThisHour = 0;
  let untold = 0;
  return (e, ctx) => {
    const cost = estimateCost(e, ctx);
    if (cost !== null) return cost;
    const t = now();
    if (t - hour >= HOUR_MS) {
      if (untold > 0) tell.others(untold);
      hour = t;
      toldThisHour = 0;
      untold = 0;
    }
    const key = `${ctx.provider}/${ctx.model}`;
    if (told.has(key)) return 0n;
    if (told.size >= UNPRICED_REMEMBERED) told.delete(told.values().next().value!);
    told.add(key);
    if (toldThisHour < UNPRICED_TOLD_PER_HOUR) {
      toldThisHour++;
      tell.model(ctx.provider, ctx.model);
    } else untold++;
    return 0n;
  };
}
