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

/**
 * `estimateCost` for admission: a model without a price counts as free (a budget cannot bound
 * it), and `unpriced` is told once per provider and model.
 */
export function estimatePricer(unpriced: (provider: string, model: string) => void): (e: Pick<Estimate, 'inputTokens' | 'outputTokens'>, ctx: PriceContext) => Picos {
  const told = new Set<string>();
  return (e, ctx) => {
    const cost = estimateCost(e, ctx);
    if (cost !== null) return cost;
    const key = `${ctx.provider}/${ctx.model}`;
    if (!told.has(key)) {
      told.add(key);
      unpriced(ctx.provider, ctx.model);
    }
    return 0n;
  };
}
