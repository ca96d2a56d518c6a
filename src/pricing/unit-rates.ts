import type { Picos } from '../core/money.js';
import { pricedAtTier } from '../core/service-tier.js';
import { type Usage, type UsageCounts, zeroUsage } from '../core/usage.js';
import type { PriceAnswer, PriceQuery } from './pricer.js';

/** What one million tokens of each class cost a model (base tier, discounts applied), in picos. */
export interface TokenRates {
  input: Picos;
  cacheRead: Picos;
  cacheWrite: Picos;
  /** Cache writes kept an hour or longer (Anthropic's 1h, OpenAI's 12h); `cacheWrite` where absent. */
  cacheWrite1h?: Picos;
  output: Picos;
}

/**
 * A model's rates as the gateway would price it: by configured provider name and model. The rates
 * are plain data (the anomaly evaluation process is sent them); `requestCost`, where the book has
 * it, is one request's token cost as the provider bills it, its long-context tier chosen on its
 * own input (undefined when it cannot be priced). A rate book read off the pricer has it.
 */
export type RateBook = ((provider: string, model: string, at: number) => TokenRates | undefined) & {
  requestCost?: (provider: string, model: string, at: number, u: UsageCounts) => Picos | undefined;
  /**
   * What a service tier (a ledger row's `service_tier`, core/service-tier.ts) multiplies a model's token prices
   * by: 0.5 for flex or a batch, 2 for priority, 1 for a tier with no price of its own; undefined where it cannot be priced.
   */
  tierFactor?: (provider: string, model: string, at: number, tier: string) => number | undefined;
};

/**
 * Tokens of each class priced to read a rate: under every long-context threshold (the lowest
 * is 128K), so the rates are the base tier's. A million crossed Claude's and Gemini's 200K
 * tier and read their doubled input rates as the base ones.
 */
const SAMPLE = 100_000;
const PER_MILLION = 10n;
/**
 * Rates remembered, one per (provider, model, UTC day): past it the oldest go. Without a cap a
 * gateway kept one a day for every model it ever saw, made-up names included.
 */
export const RATE_BOOK_CAP = 10_000;

/**
 * Reads rates off the pricer by pricing a sample of each class, so overrides, discounts and
 * the catalog all apply exactly as they do to requests.
 *
 * @example rateBook(createPricer(), { openai: 'openai' })('openai', 'gpt-5', Date.now())?.input // 1_250_000_000_000n ($1.25/M)
 */
export function rateBook(price: (q: PriceQuery) => Pick<PriceAnswer, 'costPicos'>, catalogOf: Readonly<Record<string, string | undefined>>): RateBook {
  const memo = new Map<string, TokenRates | null>();
  const costOf = (provider: string, model: string, at: number) => (u: Partial<Usage>) =>
    price({ provider, catalogProvider: catalogOf[provider] ?? provider, model, usage: { ...zeroUsage(), ...u }, at: new Date(at) }).costPicos;
  const requestCost = (provider: string, model: string, at: number, u: UsageCounts) => {
    const cost = costOf(provider, model, at);
    const [base, all] = [cost({}), cost(u)];
    return base === null || all === null ? undefined : all - base;
  };
  const factors = new Map<string, number | null>();
  const tierFactor = (provider: string, model: string, at: number, tier: string) => {
    const id = `${provider}\u0000${model}\u0000${tier}\u0000${Math.floor(at / 86_400_000)}`;
    let f = factors.get(id);
    if (f === undefined) {
      // Tiers scale a request's whole token cost alike, so one sample of input and output tells the factor.
      const cost = (t: string | undefined, u: Partial<Usage>) =>
        price({ provider, catalogProvider: catalogOf[provider] ?? provider, model, at: new Date(at), ...pricedAtTier({ ...zeroUsage(), ...u }, t) }).costPicos;
      const sample = { inputTokens: SAMPLE, outputTokens: SAMPLE };
      const [base, standard, fee, tiered] = [cost(undefined, {}), cost(undefined, sample), cost(tier, {}), cost(tier, sample)];
      f = base === null || standard === null || fee === null || tiered === null || standard === base ? null : Number(tiered - fee) / Number(standard - base);
      if (factors.size >= RATE_BOOK_CAP) factors.delete(factors.keys().next().value!);
      factors.set(id, f);
    }
    return f ?? undefined;
  };
  const book = (provider: string, model: string, at: number) => {
    const day = Math.floor(at / 86_400_000);
    const id = `${provider}\u0000${model}\u0000${day}`;
    let r = memo.get(id);
    if (r === undefined) {
      const cost = costOf(provider, model, at);
      const base = cost({});
      const c = [
        cost({ inputTokens: SAMPLE }),
        cost({ inputTokens: SAMPLE, cacheReadTokens: SAMPLE }),
        cost({ inputTokens: SAMPLE, cacheWriteTokens: SAMPLE }),
        cost({ inputTokens: SAMPLE, cacheWriteTokens: SAMPLE, cacheWrite1hTokens: SAMPLE }),
        cost({ outputTokens: SAMPLE }),
      ];
      const perMillion = (x: Picos | null) => (x! - base!) * PER_MILLION;
      r = base === null || c.some((x) => x === null) ? null : { input: perMillion(c[0]!), cacheRead: perMillion(c[1]!), cacheWrite: perMillion(c[2]!), cacheWrite1h: perMillion(c[3]!), output: perMillion(c[4]!) };
      if (memo.size >= RATE_BOOK_CAP) memo.delete(memo.keys().next().value!);
      memo.set(id, r);
    }
    return r ?? undefined;
  };
  return Object.assign(book, { requestCost, tierFactor });
}
