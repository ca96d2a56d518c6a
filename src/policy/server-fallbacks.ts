import type { Picos } from '../core/money.js';
import type { CostedEstimate, PriceContext } from './estimate.js';

/**
 * The models an Anthropic request's server-side fallbacks name: `fallbacks[].model` (beta
 * `server-side-fallback-2026-07-01`, the SDK's BetaFallbackParam), which the API may serve in place
 * of the model asked for, as they are named.
 */
export function serverFallbackModels(json: unknown): string[] {
  const fallbacks = (json as { fallbacks?: unknown } | null | undefined)?.fallbacks;
  if (!Array.isArray(fallbacks)) return [];
  const models: string[] = [];
  for (const f of fallbacks as unknown[]) {
    const model = (f as { model?: unknown } | null)?.model;
    if (typeof model === 'string' && model !== '') models.push(model);
  }
  return models;
}

/**
 * The price context a request is reserved at: its model's, or a server-side fallback's where that
 * one would cost more for the same estimate. Any of them may serve it and is billed at its own
 * price (providers/anthropic/iterations.ts), so admission holds what the dearest would cost.
 */
export function dearestServer(pc: PriceContext, estimate: CostedEstimate, json: unknown, costOf: (e: CostedEstimate, pc: PriceContext) => Picos): PriceContext {
  const models = serverFallbackModels(json);
  if (models.length === 0) return pc;
  let best = pc;
  let most = costOf(estimate, pc);
  for (const model of models) {
    const at = { ...pc, model };
    const cost = costOf(estimate, at);
    if (cost > most) [best, most] = [at, cost];
  }
  return best;
}
