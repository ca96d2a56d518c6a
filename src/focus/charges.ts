import type { LedgerRow } from '../core/ledger-row.js';
import type { Picos } from '../core/money.js';
import { uncachedInput } from '../core/usage.js';
import type { FocusRecord } from './columns.js';
import type { FocusVendor } from './vendors.js';
import { tagsOf } from './tags.js';

/** Each token class has its own price, so each is its own SKU price and its own FOCUS row. */
export const TOKEN_CLASSES = ['input', 'cache_read', 'cache_write_5m', 'cache_write_1h', 'output', 'request'] as const;
export type TokenClass = (typeof TOKEN_CLASSES)[number];

const METER: Record<TokenClass, string> = {
  input: 'Input Tokens',
  cache_read: 'Cache Read Tokens',
  cache_write_5m: 'Cache Write Tokens',
  cache_write_1h: 'Cache Write 1h Tokens',
  output: 'Output Tokens',
  request: 'Requests',
};

/** List-price weights of each class; `longContext` when the row is past a long-context threshold, whose prices are not the base ones. */
export type ClassRates = Record<TokenClass, Picos> & { longContext?: boolean };

export interface FocusContext {
  /** Who sells a call to this model at this provider, who made the model, the service's name, and the catalog id used in SKUs. */
  vendorOf(provider: string, model: string): FocusVendor & { sku: string };
  /** List price of each class for this row's model, date and tier, before any discount, as weights (a common factor times the price of one unit); undefined when unpriced. */
  ratesOf(row: LedgerRow): ClassRates | undefined;
  /** As ratesOf, at public list price (the catalog alone: no overrides, no discount); what ListCost is split by. */
  listRatesOf(row: LedgerRow): ClassRates | undefined;
  /** The row's cost at public list price: its counts priced by the catalog at its date and service tier, without overrides or discounts; undefined where the catalog has no price. */
  listOf(row: LedgerRow): Picos | undefined;
}

export function quantities(r: LedgerRow): Record<TokenClass, number> {
  const write1h = Math.min(r.cacheWrite1hTokens, r.cacheWriteTokens);
  return { input: uncachedInput(r), cache_read: r.cacheReadTokens, cache_write_5m: r.cacheWriteTokens - write1h, cache_write_1h: write1h, output: r.outputTokens, request: 0 };
}

/**
 * Splits an exact amount across token classes in proportion to their list-price weights;
 * the rounding remainder goes to the heaviest class, so the parts sum to the amount exactly.
 */
export function allocate(total: Picos, weights: Map<TokenClass, Picos>): Map<TokenClass, Picos> {
  const out = new Map<TokenClass, Picos>();
  let sum = 0n;
  let heaviest: TokenClass | undefined;
  for (const [c, w] of weights) {
    sum += w;
    if (heaviest === undefined || w > weights.get(heaviest)!) heaviest = c;
  }
  if (heaviest === undefined) return out;
  let given = 0n;
  for (const [c, w] of weights) {
    const part = sum === 0n ? 0n : (total * w) / sum;
    out.set(c, part);
    given += part;
  }
  out.set(heaviest, out.get(heaviest)! + total - given);
  return out;
}

interface Piece {
  cls: TokenClass;
  quantity: number;
  billed: Picos;
  list: Picos;
  /** Priced past a long-context threshold: a unit price of its own. */
  longContext: boolean;
}

/** One ledger row as its charges per token class (classes with neither tokens nor cost are left out). */
export function pieces(r: LedgerRow, ctx: FocusContext): Piece[] {
  const q = quantities(r);
  const billed = r.costPicos ?? 0n;
  const catalogList = listCost(r, billed, ctx);
  const list = catalogList ?? billed;
  const rates = ctx.ratesOf(r);
  const weights = new Map<TokenClass, Picos>();
  for (const c of TOKEN_CLASSES) {
    const w = c === 'request' ? (rates?.request ?? 0n) : rates ? BigInt(q[c]) * rates[c] : BigInt(q[c]);
    if (q[c] > 0 || w > 0n) weights.set(c, w);
  }
  // Cost with no priced class to carry it (a per-request fee, a price since removed): one request charge.
  if (billed > 0n && [...weights.values()].every((w) => w === 0n)) {
    weights.clear();
    weights.set('request', 1n);
  }
  const b = allocate(billed, weights);
  const l = catalogList === undefined ? b : allocate(list, listWeights(r, q, weights, ctx));
  // A SkuPriceId names a price in the provider's list: past its threshold there, the tokens list at
  // the long-context prices though a flat override bills them (they were one SkuPriceId with the
  // short tokens, 300,000 listed at $6/M and 100,000 at $3/M as 400,000 at $5.25/M).
  const longContext = rates?.longContext === true || ctx.listRatesOf(r)?.longContext === true;
  return [...weights.keys()].map((cls) => ({ cls, quantity: cls === 'request' ? 1 : q[cls], billed: b.get(cls)!, list: l.get(cls)!, longContext }));
}

/**
 * How a row's ListCost is split: by the catalog's prices of its classes when the list is the
 * catalog's, since an override (a negotiated price) need not keep the list's proportions; one
 * at $1 in and $10 out split a list of $1.25 in and $10 out in its own proportions, and one
 * SkuPriceId showed a list price of $1.125 a million in one hour and $1.25 in the next. Where
 * the catalog prices none of the row's classes, as BilledCost.
 */
function listWeights(r: LedgerRow, q: Record<TokenClass, number>, weights: Map<TokenClass, Picos>, ctx: FocusContext): Map<TokenClass, Picos> {
  const rates = ctx.listRatesOf(r);
  if (!rates) return weights;
  const out = new Map<TokenClass, Picos>();
  for (const c of weights.keys()) out.set(c, c === 'request' ? rates.request : BigInt(q[c]) * rates[c]);
  return [...out.values()].some((w) => w > 0n) ? out : weights;
}

/**
 * ListCost of a row: re-priced at list at its own service tier (a flex or batch row at half the
 * standard price, a priority or fast-mode row at its premium), never from today's discount (rows
 * paid before a discount began were paid at list); a model only an override prices lists at that
 * override before the discount. Where no price is known, or the row went unpriced, it is the billed cost (undefined here: the caller takes the billed cost and its split);
 * so it is where the list price comes out below what was paid, since the row then holds what its
 * counts do not show (audio tokens, web searches, a tier recorded before rows kept theirs), and a
 * list price is never taken to be less than was paid.
 */
function listCost(r: LedgerRow, billed: Picos, ctx: FocusContext): Picos | undefined {
  if (r.unpriced || r.costPicos === null) return undefined;
  const list = ctx.listOf(r);
  return list === undefined || list < billed ? undefined : list;
}

interface Group {
  row: LedgerRow;
  cls: TokenClass;
  longContext: boolean;
  hour: number;
  quantity: number;
  billed: Picos;
  list: Picos;
  reasoning: number;
  requests: number;
  unpriced: number;
}

const HOUR = 3_600_000;

function groupKey(r: LedgerRow, p: Piece, hour: number): string {
  return [hour, r.provider, r.model, r.serviceTier ?? '', r.keyId ?? '', r.user ?? '', r.team ?? '', r.project ?? '', r.sessionId ?? '', r.client ?? '', r.pool ?? '', JSON.stringify(tagsOf(r)), p.cls, p.longContext ? 'long' : ''].join('\u0000');
}

/**
 * Ledger rows (in time order) to FOCUS rows: one per hour, attribution (provider, model, service
 * tier, key, user, team, project, session, client, pool, tags), token class and long-context price. Streams: only the
 * current hour's groups are held in memory.
 */
export async function* focusRecords(rows: AsyncIterable<LedgerRow>, ctx: FocusContext): AsyncGenerator<FocusRecord> {
  let hour: number | undefined;
  let groups = new Map<string, Group>();
  const flush = function* (): Generator<FocusRecord> {
    for (const k of [...groups.keys()].sort()) yield record(groups.get(k)!, ctx);
    groups = new Map();
  };
  for await (const r of rows) {
    // A FOCUS row needs its charge period; `tollgate export --format jsonl` shows such a row (ts null).
    if (Number.isNaN(new Date(r.ts).getTime())) throw new RangeError(`ledger row ${r.id} is dated ${r.ts} ms since the epoch, which no date can hold, so it has no FOCUS charge period`);
    const h = Math.floor(r.ts / HOUR) * HOUR;
    if (hour !== undefined && h !== hour) yield* flush();
    hour = h;
    for (const p of pieces(r, ctx)) {
      const key = groupKey(r, p, h);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { row: r, cls: p.cls, longContext: p.longContext, hour: h, quantity: 0, billed: 0n, list: 0n, reasoning: 0, requests: 0, unpriced: 0 }));
      g.quantity += p.quantity;
      g.billed += p.billed;
      g.list += p.list;
      g.requests += 1;
      if (r.unpriced) g.unpriced += 1;
      if (p.cls === 'output') g.reasoning += Math.min(r.reasoningTokens, r.outputTokens);
    }
  }
  yield* flush();
}

function record(g: Group, ctx: FocusContext): FocusRecord {
  const r = g.row;
  const v = ctx.vendorOf(r.provider, r.model);
  const start = new Date(g.hour);
  const unit = g.cls === 'request' ? 'Requests' : 'Tokens';
  return {
    BilledCost: g.billed,
    BillingAccountId: r.provider || 'unknown',
    BillingAccountName: r.provider || null,
    BillingCurrency: 'USD',
    BillingPeriodStart: Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), 1),
    BillingPeriodEnd: Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1),
    ChargeCategory: 'Usage',
    ChargeClass: null,
    ChargeDescription: `${r.model} ${METER[g.cls].toLowerCase()} via ${r.provider || 'no provider'}${r.serviceTier ? ` at the ${r.serviceTier} tier` : ''}${g.longContext ? ' at long-context prices' : ''}`,
    ChargePeriodStart: g.hour,
    ChargePeriodEnd: g.hour + HOUR,
    ContractedCost: g.billed,
    EffectiveCost: g.billed,
    InvoiceIssuerName: v.provider,
    ListCost: g.list,
    PricingQuantity: g.quantity,
    PricingUnit: unit,
    ProviderName: v.provider,
    PublisherName: v.publisher,
    ServiceCategory: 'AI and Machine Learning',
    ServiceName: v.service,
    ChargeFrequency: 'Usage-Based',
    ConsumedQuantity: g.quantity,
    ConsumedUnit: unit,
    PricingCategory: 'Standard',
    ResourceId: r.keyId,
    ResourceType: r.keyId === null ? null : 'API Key',
    ServiceSubcategory: 'Generative AI',
    SkuId: `${v.sku}:${r.model}`,
    SkuMeter: METER[g.cls],
    // A tier is a price of its own: flex input is not standard input, nor input past a long-context threshold.
    SkuPriceId: `${v.sku}:${r.model}:${g.cls}${r.serviceTier ? `:${r.serviceTier}` : ''}${g.longContext ? ':long_context' : ''}`,
    SubAccountId: r.team,
    SubAccountName: r.team,
    SubAccountType: r.team === null ? null : 'Team',
    Tags: tagsOf(r),
    x_TokenClass: g.cls,
    x_Model: r.model,
    x_CacheReadTokens: g.cls === 'cache_read' ? g.quantity : 0,
    x_CacheWriteTokens: g.cls === 'cache_write_5m' || g.cls === 'cache_write_1h' ? g.quantity : 0,
    x_CacheWrite1hTokens: g.cls === 'cache_write_1h' ? g.quantity : 0,
    x_ReasoningTokens: g.reasoning,
    x_RequestCount: g.requests,
    x_UnpricedRequests: g.unpriced,
    x_SessionId: r.sessionId,
    x_ClientTool: r.client,
    x_Pool: r.pool,
    x_ServiceTier: r.serviceTier ?? null,
  };
}
