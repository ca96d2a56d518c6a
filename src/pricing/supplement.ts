import type { ModelPrice } from '@pydantic/genai-prices';
import { isModel } from './model-id.js';

/**
 * Current models that `@pydantic/genai-prices` 0.1.8 does not price (or prices only by a
 * look-alike name). Consulted only when the catalog has no exact match. Every entry cites
 * its source in ../shared/reference/protocols.md §6 (compiled 2026-11-22); remove an entry
 * once the catalog carries the model. Anthropic's web search is $10 per 1,000 searches on every
 * model (§6.2 modifiers).
 */
export interface SupplementEntry {
  provider: 'openai' | 'anthropic' | 'google';
  id: string;
  /** Effective-dated prices, oldest first; `from` is an ISO date (UTC). */
  prices: { from?: string; price: ModelPrice }[];
  source: string;
}

const OPENAI_LONG = 272_000 - 1; // whole request repriced from 272,000 input tokens (the catalog's GPT-5.x boundary)
/** A price per million tokens, another for the whole request once its input passes `start`. */
const tiered = (start: number, base: number, above: number) => ({ base, tiers: [{ start, price: above }] });
const long = (base: number, times: number) => tiered(OPENAI_LONG, base, base * times);

export const SUPPLEMENT: readonly SupplementEntry[] = [
  {
    provider: 'openai',
    id: 'gpt-6.2-sol',
    prices: [{ price: { input_mtok: long(2, 2), cache_read_mtok: long(0.1, 2), cache_write_mtok: long(2.5, 2), cache_write_1h_mtok: long(5, 2), output_mtok: long(10, 1.5) } }],
    source: '§6.1 gpt-6.2-sol [DOC] model page: 2.00 / 0.10 cached / 2.50 30m write / 5.00 12h write / 10.00; >272K input x2, output x1.5',
  },
  {
    provider: 'openai',
    id: 'gpt-6.1-sol',
    prices: [{ price: { input_mtok: long(2, 2), cache_read_mtok: long(0.1, 2), cache_write_mtok: long(2.5, 2), output_mtok: long(10, 1.5) } }],
    source: '§6.1 gpt-6.1-sol [3p] 2026-09-30: 2.00 / 0.10 / 2.50 / 10.00; long ctx 4.00 / 0.20 / 15.00',
  },
  {
    provider: 'openai',
    id: 'gpt-6.1-terra',
    prices: [{ price: { input_mtok: long(1, 2), cache_read_mtok: long(0.05, 2), cache_write_mtok: long(1.25, 2), output_mtok: long(5, 1.5) } }],
    source: '§6.1 gpt-6.1-terra [3p] 2026-10-27: 1.00 / 0.05 / 5.00; 30m writes 1.25x input (§2.3; §6.1 leaves the cell n/a); >272K input x2, output x1.5 (§6.1, all of 6.x)',
  },
  {
    provider: 'anthropic',
    id: 'claude-sonnet-5-5',
    prices: [
      { price: { input_mtok: 2, cache_write_mtok: 2.5, cache_write_1h_mtok: 4, cache_read_mtok: 0.2, output_mtok: 10, web_searches_kcount: 10 } },
      { from: '2026-10-07', price: { input_mtok: 2, cache_write_mtok: 2.5, cache_write_1h_mtok: 4, cache_read_mtok: 0.1, output_mtok: 10, web_searches_kcount: 10 } },
    ],
    source: '§6.2 Sonnet 5.5 [DOC] overview 2 / 10; cache 2.50 / 4 / 0.10 (0.20 before 2026-10-07) [3p]',
  },
  {
    provider: 'anthropic',
    id: 'claude-haiku-5-5',
    prices: [
      {
        price: {
          input_mtok: tiered(100_000, 0.1, 0.5),
          cache_write_mtok: tiered(100_000, 0.125, 0.625),
          cache_write_1h_mtok: tiered(100_000, 0.2, 1),
          cache_read_mtok: tiered(100_000, 0.01, 0.05),
          output_mtok: tiered(100_000, 0.5, 2.5),
          web_searches_kcount: 10,
        },
      },
    ],
    source: '§6.2 Haiku 5.5 [DOC] overview + tiers [3p]: prompt (input + cache reads + writes) over 100K reprices the whole request',
  },
  {
    provider: 'anthropic',
    id: 'claude-fable-5-2',
    prices: [{ price: { input_mtok: 8, cache_write_mtok: 10, cache_write_1h_mtok: 16, cache_read_mtok: 0.2, output_mtok: 40, web_searches_kcount: 10 } }],
    source: '§6.2 Fable 5.2: 8 / 40 [DOC] models overview; cache 10 / 16 / 0.20 [3p]',
  },
  {
    provider: 'anthropic',
    id: 'claude-mythos-5-1',
    prices: [{ price: { input_mtok: 10, cache_write_mtok: 12.5, cache_write_1h_mtok: 20, cache_read_mtok: 0.25, output_mtok: 50, web_searches_kcount: 10 } }],
    source: '§6.2 "Fable 5.1 / Mythos 5.1" [DOC] pricing page: 10 / 12.50 / 20 / 0.25 / 50',
  },
  {
    provider: 'anthropic',
    id: 'claude-mythos-5',
    prices: [{ price: { input_mtok: 10, cache_write_mtok: 12.5, cache_write_1h_mtok: 20, cache_read_mtok: 1, output_mtok: 50, web_searches_kcount: 10 } }],
    source: '§6.2 "Fable 5 / Mythos 5" [DOC] pricing page: 10 / 12.50 / 20 / 1.00 / 50',
  },
];

/**
 * Catalog entries whose prices the reference contradicts, by the catalog entry's id: every model
 * id the catalog matches to the entry is priced here instead. Remove an entry once the catalog
 * agrees.
 */
export const CORRECTIONS: readonly SupplementEntry[] = [
  {
    provider: 'anthropic',
    id: 'claude-sonnet-4-0',
    prices: [
      {
        price: {
          input_mtok: tiered(200_000, 3, 6),
          cache_write_mtok: tiered(200_000, 3.75, 7.5),
          cache_write_1h_mtok: tiered(200_000, 6, 12),
          cache_read_mtok: tiered(200_000, 0.3, 0.6),
          output_mtok: tiered(200_000, 15, 22.5),
          web_searches_kcount: 10,
        },
      },
    ],
    source: '§6.2 Sonnet 4 [DOC]: 3 / 3.75 / 6 / 0.30 / 15; above 200K input (1M context) the whole request at 6 / 7.50 / 12 / 0.60 / 22.50. genai-prices 0.1.8 has no long-context tier for it',
  },
];

/**
 * What a provider charges per server-side web search on every model, in USD per 1,000 searches,
 * where the reference publishes one: Anthropic's $10 (protocols.md §3.10, §6.2 modifiers). The
 * pricer charges it on a model an override prices that neither the catalog nor the supplement
 * knows. OpenAI prices searches per model (the catalog's `web_searches_kcount`), and Gemini's
 * grounding has a free monthly allowance: neither is here. Web fetch costs only tokens (§3.10).
 */
export const SEARCH_FEES: ReadonlyMap<string, string> = new Map([['anthropic', '10']]);

/** The supplement's price for a model at a time, or undefined. */
export function supplementPrice(provider: string, model: string, at: Date): { id: string; price: ModelPrice } | undefined {
  const entry = SUPPLEMENT.find((e) => e.provider === provider && isModel(model, e.id));
  return entry && { id: entry.id, price: priceOn(entry, at) };
}

/** The corrected price of a catalog entry (by its id) at a time, or undefined when the catalog's stands. */
export function correctedPrice(provider: string, catalogId: string, at: Date): ModelPrice | undefined {
  const entry = CORRECTIONS.find((e) => e.provider === provider && e.id === catalogId);
  return entry && priceOn(entry, at);
}

function priceOn(entry: SupplementEntry, at: Date): ModelPrice {
  const when = at.toISOString().slice(0, 10);
  const applicable = entry.prices.filter((p) => p.from === undefined || p.from <= when);
  return (applicable[applicable.length - 1] ?? entry.prices[0]!).price;
}
