import type { Logger } from '../core/logger.js';
import type { Picos } from '../core/money.js';
import { type Usage, zeroUsage } from '../core/usage.js';
import type { PriceFn } from '../metering/build-row.js';
import { estimateInputTokens } from '../metering/estimate.js';

/**
 * How input tokens are counted before forwarding. `conservative` counts every byte of the
 * request body as a token: a BPE token always covers at least one byte of text, so this
 * is an upper bound for text (image and file references are not). `typical` uses about
 * four characters per token: closer to the truth, but no longer a bound.
 */
export type InputCounting = 'conservative' | 'typical';

export interface EstimateInput {
  bodyBytes: number;
  json: unknown;
  /** The output cap the client sent, if any. */
  maxOutputTokens: number | undefined;
  /** Used when the client sent none. */
  defaultMaxOutputTokens: number;
  counting: InputCounting;
}

export interface Estimate {
  inputTokens: number;
  outputTokens: number;
  /** Whether the estimate bounds the cost (the client capped the output and input is counted conservatively). */
  bounded: boolean;
}

export function estimateTokens(e: EstimateInput): Estimate {
  const inputTokens = e.counting === 'conservative' ? e.bodyBytes : estimateInputTokens(e.json);
  const capped = e.maxOutputTokens !== undefined && e.maxOutputTokens > 0;
  return { inputTokens, outputTokens: capped ? e.maxOutputTokens! : e.defaultMaxOutputTokens, bounded: capped && e.counting === 'conservative' };
}

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
 * Null when the model has no price.
 */
export function estimateCost(est: Pick<Estimate, 'inputTokens' | 'outputTokens'>, ctx: PriceContext): Picos | null {
  const q = (usage: Usage) => ctx.price({ provider: ctx.provider, catalogProvider: ctx.catalogProvider, model: ctx.model, usage: { ...usage, ...ctx.modifiers }, at: ctx.at, serviceTier: ctx.serviceTier });
  const plain = q({ ...zeroUsage(), inputTokens: est.inputTokens, outputTokens: est.outputTokens });
  if (plain.costPicos === null) return null;
  const written = q({ ...zeroUsage(), inputTokens: est.inputTokens, cacheWriteTokens: est.inputTokens, cacheWrite1hTokens: est.inputTokens, outputTokens: est.outputTokens });
  return written.costPicos !== null && written.costPicos > plain.costPicos ? written.costPicos : plain.costPicos;
}

/**
 * The largest output cap whose worst-case cost fits `room` (for `enforce_max_tokens`),
 * found by bisection because tiered prices are not linear. Zero when even no output does not fit.
 */
export function affordableOutputTokens(inputTokens: number, ceiling: number, room: Picos, ctx: PriceContext): number {
  let lo = 0;
  let hi = ceiling;
  const cost = (out: number) => estimateCost({ inputTokens, outputTokens: out }, ctx) ?? 0n;
  if (cost(0) > room) return 0;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
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
