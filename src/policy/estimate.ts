import type { Api } from '../core/api.js';
import type { Logger } from '../core/logger.js';
import type { Picos } from '../core/money.js';
import { type Usage, zeroUsage } from '../core/usage.js';
import type { PriceFn } from '../metering/build-row.js';
import { estimateInputTokens } from '../metering/estimate.js';
import { findMedia } from '../metering/media/media.js';
import { mediaTokens } from '../metering/media/media-tokens.js';
import { asksForAudio } from './audio-output.js';
import { cachedContentName } from '../providers/gemini/caches.js';
import { isResponsesShapedChat } from '../providers/openai/request.js';
import { type CachedContent, GEMINI_CACHE_TOKENS } from './gemini-cache.js';
import { DEFAULT_SERVER_TOOLS, DEFAULT_SERVER_TOOL_FEE, type ServerToolAllowance, serverTools } from './server-tools.js';

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
  /** The API the body is for: only the APIs that define them read its stored-context members (storedReference). */
  api?: Api;
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
  /** What a server-side tool without a limit of its own counts (`policy.server_tool_uses`, `policy.server_tool_result_tokens`); absent, their defaults. */
  tools?: ServerToolAllowance;
  /** What each use of a server-side tool whose fee the catalog does not price counts (`policy.server_tool_fee_usd`); absent, DEFAULT_SERVER_TOOL_FEE. */
  toolFee?: Picos;
  /** What the explicit Gemini cache the request names counts as, when it names one; absent, GEMINI_CACHE_TOKENS. */
  cached?: CachedContent;
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
  /** `previous_interaction_id` when the stored context is a Gemini interaction's; absent for a Response's or a conversation's. */
  referencedBy?: 'previous_interaction_id';
  /** Uses counted for the server-side tools the request declares (server-tools.ts); absent when it declares none. */
  serverToolUses?: number;
  /** Of `inputTokens`, those counted for the tools' results. */
  serverToolTokens?: number;
  /** Of `serverToolUses`, web searches billed by the search: priced at the model's price per search, or at `toolFee` for a model without one. */
  webSearches?: number;
  /** Of `serverToolUses`, uses of tools billed by the use at a fee the catalog does not price (file search, code interpreter, code execution, grounding): each counted at `toolFee`. */
  toolFeeUses?: number;
  /** What each use whose fee the catalog does not price counts (`policy.server_tool_fee_usd`); absent when the request declares no such use, or it is zero. */
  toolFee?: Picos;
  /** Of `outputTokens`, those priced at the model's audio output rate (the request asks for audio); absent when none. */
  audioOutputTokens?: number;
  /** Of `inputTokens`, those of the explicit Gemini cache the request names, priced at the cache-read rate; absent when it names none. */
  cachedTokens?: number;
  /** The cache whose creation's row gave `cachedTokens`; null when they are `policy.gemini_cache_tokens`. */
  cachedFrom?: string | null;
}

/** What an estimate is priced on. */
export type CostedEstimate = Pick<Estimate, 'inputTokens' | 'outputTokens' | 'webSearches' | 'toolFeeUses' | 'toolFee' | 'audioOutputTokens' | 'cachedTokens'>;

/**
 * Input counted by default (`policy.responses_context_tokens`) for the stored context a Responses
 * request continues (`previous_response_id`, `conversation`) when its size is not known: the
 * provider bills it as input, but it is not in the body, whose bytes are all the estimate can see
 * (a follow-up of a few bytes was billed 50,000 tokens). GPT-4o's context window: an allowance,
 * not a bound for larger windows, as a PDF by reference is.
 */
export const REFERENCED_CONTEXT_TOKENS = 128_000;

/**
 * The member by which each API that can continue stored context names it: a Responses request (and
 * its compaction and input token count) `previous_response_id`, a Gemini Interactions create
 * `previous_interaction_id`. Another API's body carrying one (a chat completion, a Message) continues
 * nothing: the provider ignores or refuses the member, and no stored input is billed for it.
 */
const CONTINUED_BY: Partial<Record<Api, 'previous_response_id' | 'previous_interaction_id'>> = {
  'openai.responses': 'previous_response_id',
  'openai.compact': 'previous_response_id',
  'openai.input_tokens': 'previous_response_id',
  'gemini.interactions': 'previous_interaction_id',
};

/** The APIs whose requests may continue a stored conversation (`conversation`). */
const CONVERSATIONS: ReadonlySet<Api> = new Set<Api>(['openai.responses', 'openai.input_tokens']);

/** The API that reads the body: a Responses-shaped chat request (Cursor's) goes upstream to the Responses API as it is. */
function readBy(api: Api | undefined, json: unknown): Api | undefined {
  return api === 'openai.chat' && isResponsesShapedChat(json) ? 'openai.responses' : api;
}

/**
 * The stored response a Responses request continues (`previous_response_id`), or the stored
 * interaction a Gemini Interactions create continues (`previous_interaction_id`: the server adds
 * its turns to the input, as the SDK's continuation hops rely on when they send no `input`), if it
 * names one; undefined for any other API's body (`api` absent: none).
 */
export function previousResponseId(json: unknown, api: Api | undefined): string | undefined {
  return storedReference(json, api)?.id;
}

/** The member naming the stored context a request of `api` continues, and its id. */
export function storedReference(json: unknown, api: Api | undefined): { field: 'previous_response_id' | 'previous_interaction_id'; id: string } | undefined {
  const by = readBy(api, json);
  const field = by === undefined ? undefined : CONTINUED_BY[by];
  if (field === undefined || typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const prev = (json as Record<string, unknown>)[field];
  return typeof prev === 'string' && prev !== '' ? { field, id: prev } : undefined;
}

export function continuesStoredContext(json: unknown, api: Api | undefined): boolean {
  if (previousResponseId(json, api) !== undefined) return true;
  const by = readBy(api, json);
  if (by === undefined || !CONVERSATIONS.has(by) || typeof json !== 'object' || json === null || Array.isArray(json)) return false;
  const conv = (json as Record<string, unknown>).conversation;
  return (typeof conv === 'string' && conv !== '') || (typeof conv === 'object' && conv !== null);
}

/** The settings an estimate is made with (PolicySettings'). */
export interface EstimateSettings {
  defaultMaxOutputTokens: number;
  inputCounting: InputCounting;
  serverToolUses?: number;
  serverToolResultTokens?: number;
  serverToolFeePicos?: Picos;
}

/** What a request is estimated from: its body, caps and the stored inputs it names (AdmitRequest's). */
export type EstimatedRequest = Pick<EstimateInput, 'bodyBytes' | 'json' | 'api' | 'maxOutputTokens' | 'choices' | 'context' | 'cached'>;

/** `req`'s estimate at `model`, as admission, a downgrade's comparison and a batch's creation make it. */
export function estimateRequest(req: EstimatedRequest, model: string, s: EstimateSettings): Estimate {
  const tools = { uses: s.serverToolUses ?? DEFAULT_SERVER_TOOLS.uses, resultTokens: s.serverToolResultTokens ?? DEFAULT_SERVER_TOOLS.resultTokens };
  return estimateTokens({ ...req, model, defaultMaxOutputTokens: s.defaultMaxOutputTokens, counting: s.inputCounting, tools, toolFee: s.serverToolFeePicos });
}

export function estimateTokens(e: EstimateInput): Estimate {
  const est = estimateBody(e);
  if (continuesStoredContext(e.json, e.api)) {
    const { tokens, previous } = e.context ?? { tokens: REFERENCED_CONTEXT_TOKENS, previous: null };
    Object.assign(est, { inputTokens: est.inputTokens + tokens, bounded: false, referencedTokens: tokens, referencedFrom: previous });
    if (storedReference(e.json, e.api)?.field === 'previous_interaction_id') est.referencedBy = 'previous_interaction_id';
  }
  billedBeyondBody(est, e);
  return est;
}

/**
 * What the request declares it will be billed for beyond its body and output: server-side tools
 * (their uses, searches and results), the explicit Gemini cache it names (read from the cache), and
 * audio output (at the audio rate). Each is counted only when the request declares it.
 */
function billedBeyondBody(est: Estimate, e: EstimateInput): void {
  const tools = serverTools(e.json, e.tools ?? DEFAULT_SERVER_TOOLS);
  if (tools) {
    // How often a tool runs and how much its results hold are the provider's: an allowance, not a bound.
    Object.assign(est, { inputTokens: est.inputTokens + tools.resultTokens, bounded: false, serverToolUses: tools.uses, serverToolTokens: tools.resultTokens });
    if (tools.webSearches > 0) est.webSearches = tools.webSearches;
    if (tools.feeUses > 0) est.toolFeeUses = tools.feeUses;
    // A search's fee is known once priced at a model (estimateCost): the allowance stands by for one without.
    const fee = e.toolFee ?? DEFAULT_SERVER_TOOL_FEE;
    if (fee > 0n && tools.webSearches + tools.feeUses > 0) est.toolFee = fee;
  }
  if (cachedContentName(e.json) !== undefined) {
    const { tokens, cache } = e.cached ?? { tokens: GEMINI_CACHE_TOKENS, cache: null };
    Object.assign(est, { inputTokens: est.inputTokens + tokens, cachedTokens: tokens, cachedFrom: cache });
    if (cache === null) est.bounded = false;
  }
  if (asksForAudio(e.json, e.model ?? '')) est.audioOutputTokens = est.outputTokens;
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
export function estimateCost(est: CostedEstimate, ctx: PriceContext): Picos | null {
  const q = pricedAt(ctx);
  // Usage is priced in whole tokens (BigInt refuses a fraction): round up, as the bill does.
  const input = whole(est.inputTokens);
  const output = whole(est.outputTokens);
  const searches = whole(est.webSearches);
  if (![input, output, searches, whole(est.toolFeeUses)].every(Number.isSafeInteger)) {
    // Whether the model has a price at all: an unpriced one stays unpriced, however large the cap.
    const some = q({ ...zeroUsage(), inputTokens: Math.min(input, Number.MAX_SAFE_INTEGER), outputTokens: Math.min(output, Number.MAX_SAFE_INTEGER) });
    return some.costPicos === null && !some.tooLarge ? null : BEYOND_ANY_LIMIT;
  }
  // The pricer prices the searches, audio and cache reads as it prices the bill (pricing/cost.ts).
  const cached = Math.min(whole(est.cachedTokens), input);
  const audio = Math.min(whole(est.audioOutputTokens), output);
  const billed = { ...zeroUsage(), inputTokens: input, cacheReadTokens: cached, outputTokens: output, ...(searches > 0 ? { webSearches: searches } : {}), ...(audio > 0 ? { audio: { input: 0, cacheRead: 0, output: audio } } : {}) };
  const plain = q(billed);
  if (plain.costPicos === null) return plain.tooLarge ? BEYOND_ANY_LIMIT : null;
  const written = q({ ...billed, cacheWriteTokens: input - cached, cacheWrite1hTokens: input - cached });
  if (written.tooLarge) return BEYOND_ANY_LIMIT;
  const fees = BigInt(unpricedFeeUses(est, () => searches > 0 && q({ ...billed, webSearches: 0 }).costPicos === plain.costPicos)) * (est.toolFee ?? 0n);
  return (written.costPicos !== null && written.costPicos > plain.costPicos ? written.costPicos : plain.costPicos) + fees;
}

/**
 * The uses an estimate counts at `toolFee` because the catalog gives no fee for them: those of tools
 * billed by the use at a fee it never prices, and the web searches of a model it gives no price per
 * search (`searchesFree`: the searches add nothing to its price). Zero without a `toolFee`.
 */
function unpricedFeeUses(est: CostedEstimate, searchesFree: () => boolean): number {
  if (est.toolFee === undefined || est.toolFee <= 0n) return 0;
  return whole(est.toolFeeUses) + (searchesFree() ? whole(est.webSearches) : 0);
}

/** Of an estimate's tool uses, those counted at `policy.server_tool_fee_usd` when priced at `ctx` (for a refusal to say so). */
export function toolFeeUsesAt(est: CostedEstimate, ctx: PriceContext): number {
  const q = pricedAt(ctx);
  const searches = whole(est.webSearches);
  return unpricedFeeUses(est, () => searches > 0 && q({ ...zeroUsage(), webSearches: searches }).costPicos === q(zeroUsage()).costPicos);
}

/** Prices usage as `ctx` says: its model and provider, at its time, tier and modifiers. */
function pricedAt(ctx: PriceContext): (usage: Usage) => ReturnType<PriceFn> {
  return (usage) => ctx.price({ provider: ctx.provider, catalogProvider: ctx.catalogProvider, model: ctx.model, usage: { ...usage, ...ctx.modifiers }, at: ctx.at, serviceTier: ctx.serviceTier });
}

/** A count priced in whole units (BigInt refuses a fraction), rounded up as the bill rounds; 0 for none. */
function whole(n: number | undefined): number {
  return n !== undefined && n > 0 ? Math.ceil(n) : 0;
}

/**
 * The largest output cap whose worst-case cost fits `room` (for `enforce_max_tokens`), each of
 * `choices` answers running to it, found by bisection because tiered prices are not linear.
 * Zero when even no output does not fit. `est`'s output is what the cap replaces (audio output stays audio).
 */
export function affordableOutputTokens(est: CostedEstimate, ceiling: number, room: Picos, ctx: PriceContext, choices = 1): number {
  let lo = 0;
  // Past 2^53 a step of one is lost (mid - 1 === mid) and the search would never end.
  let hi = Math.floor(Math.min(ceiling, Number.MAX_SAFE_INTEGER));
  const cost = (out: number) => estimateCost({ ...est, outputTokens: out * choices }, ctx) ?? 0n;
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
export function estimatePricer(tell: UnpricedTeller, now: () => number = Date.now): (e: CostedEstimate, ctx: PriceContext) => Picos {
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
