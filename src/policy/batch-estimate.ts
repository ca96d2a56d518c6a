import type { Api } from '../core/api.js';
import type { Picos } from '../core/money.js';
import type { Budget } from './rules.js';
import type { CachedContent } from './gemini-cache.js';
import { type CostedEstimate, type EstimateSettings, type StoredContext, estimateRequest } from './estimate.js';

/** The settings a batch is estimated with; `responsesContextTokens` absent: REFERENCED_CONTEXT_TOKENS (`geminiCacheTokens`: GEMINI_CACHE_TOKENS). */
export interface BatchSettings extends EstimateSettings {
  responsesContextTokens?: number;
  geminiCacheTokens?: number;
}

/** One request of a batch, as its provider will run it. */
export interface BatchRequest {
  model: string;
  json: unknown;
  /** The API the request is for (its line's `url`, the batch's own API): a stored context counts only where the API defines it. */
  api?: Api;
  /** The request body's size in bytes (what `conservative` counting takes as its input tokens, its media aside). */
  bodyBytes: number;
  maxOutputTokens: number | undefined;
  /** How many answers it asks for (OpenAI `n`), each up to `maxOutputTokens`; 1 when unset. */
  choices?: number;
}

/** A batch's requests of one model, their estimates summed (the searches, audio output and cache reads among them too). */
export interface BatchModelTotal extends CostedEstimate {
  model: string;
  requests: number;
}

/**
 * A batch's requests summed per model, each estimated as the same request sent on its own
 * would be at admission (estimate.ts): what a batch's creation reserves. Fed one request at a
 * time, so that an input file is never held whole. Pure.
 */
export class BatchTotals {
  private readonly byModel = new Map<string, BatchModelTotal>();
  private readonly settings: BatchSettings;
  /** A batched follow-up's stored context, or a cache a batched request names, is not looked up: it counts as the setting says. */
  private readonly context: StoredContext | undefined;
  private readonly cached: CachedContent | undefined;

  constructor(settings: BatchSettings) {
    this.settings = settings;
    this.context = settings.responsesContextTokens === undefined ? undefined : { tokens: settings.responsesContextTokens, previous: null };
    this.cached = settings.geminiCacheTokens === undefined ? undefined : { tokens: settings.geminiCacheTokens, cache: null };
  }

  add(r: BatchRequest): void {
    const e = estimateRequest({ ...r, context: this.context, cached: this.cached }, r.model, this.settings);
    let t = this.byModel.get(r.model);
    if (!t) this.byModel.set(r.model, (t = { model: r.model, requests: 0, inputTokens: 0, outputTokens: 0 }));
    t.requests++;
    t.inputTokens += e.inputTokens;
    t.outputTokens += e.outputTokens;
    for (const k of ['webSearches', 'toolFeeUses', 'audioOutputTokens', 'cachedTokens'] as const) if (e[k] !== undefined) t[k] = (t[k] ?? 0) + e[k];
    if (e.toolFee !== undefined) t.toolFee = e.toolFee;
  }

  /**
   * A model the batch runs requests of that cannot be read (a Gemini batch's uploaded file): they
   * are not estimated, but the model is one of the batch's, at the least a request costs (one
   * output token), so that model policy, and a budget with no room left, still refuse it.
   */
  unread(model: string): void {
    const t = this.byModel.get(model);
    if (t === undefined) this.byModel.set(model, { model, requests: 0, inputTokens: 0, outputTokens: 1 });
    else t.outputTokens = Math.max(t.outputTokens, 1);
  }

  get totals(): BatchModelTotal[] {
    return [...this.byModel.values()];
  }
}

/** One of a batch's models: the budgets that apply to it, and what its requests may cost. */
export interface BatchModel {
  model: string;
  budgets: readonly Budget[];
  cost: Picos;
  tokens: number;
}

/** Budgets that cover the same models of a batch, and those models' sum: one reservation, made as for the first of them. */
export interface BudgetPart {
  model: string;
  budgets: Budget[];
  cost: Picos;
  tokens: number;
}

/**
 * Groups the budgets of a batch's models by the models each covers: a team's budget covers
 * every model, a model's budget its own. Each group holds the sum of its models, so that no
 * budget is charged for a model it does not cover, nor for a model twice. Pure.
 */
export function budgetParts(models: readonly BatchModel[]): BudgetPart[] {
  const covers = new Map<string, { budget: Budget; models: number[] }>();
  models.forEach((m, i) => {
    for (const b of m.budgets) {
      const c = covers.get(b.id);
      if (c) c.models.push(i);
      else covers.set(b.id, { budget: b, models: [i] });
    }
  });
  const parts = new Map<string, BudgetPart>();
  for (const { budget, models: which } of covers.values()) {
    const key = which.join(',');
    const part = parts.get(key);
    if (part) part.budgets.push(budget);
    else parts.set(key, { model: models[which[0]!]!.model, budgets: [budget], cost: which.reduce((a, i) => a + models[i]!.cost, 0n), tokens: which.reduce((a, i) => a + models[i]!.tokens, 0) });
  }
  return [...parts.values()];
}
