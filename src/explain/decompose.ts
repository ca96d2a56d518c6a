import type { Picos } from '../core/money.js';
import type { UsageCounts } from '../core/usage.js';
import type { RateBook, TokenRates } from '../pricing/unit-rates.js';
import type { LongRequests, TieredRequests } from '../storage/ports.js';
import { type ModelMove, type ModelTotals, type PriceMove, cacheBy, modelName, pricedBy, tiersBy, tokensBy } from './driver-details.js';
import { shapley } from './shapley.js';

/** Spend of one combination of model, provider, user, client and workflow in a window. */
export interface SpendGroup {
  model: string;
  provider: string;
  user: string;
  client: string;
  workflow: string;
  requests: number;
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** The part of the cache writes kept an hour or longer (billed at their own rate). */
  cacheWrite1hTokens?: number;
  outputTokens: number;
  costPicos: Picos;
  /** The group's requests past `LONG_INPUT_TOKENS` input tokens (storage/ddl.ts), priced one by one: a long-context tier prices a request by its own input. */
  long?: readonly LongRequest[];
  /** The group's requests billed at a service tier (flex, batch, priority…), per tier, summed: the rest were standard. */
  tiers?: readonly TieredPart[];
}

/** Requests of a group billed at one service tier: their summed counts, and how many there were. */
export type TieredPart = Omit<TieredRequests, 'keys'>;

/** Requests of a group with the same counts, and how many there were. */
export type LongRequest = Omit<LongRequests, 'keys'>;

export const DRIVERS = ['requests', 'tokens_per_request', 'model_mix', 'cache', 'tier_mix', 'price', 'new_subjects', 'gone_subjects'] as const;
export type DriverId = (typeof DRIVERS)[number];

export const DRIVER_LABELS: Record<DriverId, string> = {
  requests: 'more requests',
  tokens_per_request: 'more tokens per request (context growth)',
  model_mix: 'model mix',
  cache: 'cache reads and writes',
  tier_mix: 'service tier mix (flex, batch, priority…)',
  price: 'price changes',
  new_subjects: 'new users, workflows or clients',
  gone_subjects: 'users, workflows or clients that stopped',
};

/** Labels of the drivers that name a direction, for when they lowered spend. */
const FALLING_LABELS: Partial<Record<DriverId, string>> = {
  requests: 'fewer requests',
  tokens_per_request: 'fewer tokens per request (context shrank)',
};

/** A driver's label for its part of the change: "fewer requests" rather than "more requests (−$80)". */
export function driverLabel(id: DriverId, deltaPicos: Picos): string {
  return (deltaPicos < 0n ? FALLING_LABELS[id] : undefined) ?? DRIVER_LABELS[id];
}

export interface Driver {
  id: DriverId;
  label: string;
  /** This driver's part of the change (signed picodollars). */
  deltaPicos: Picos;
  /** What moved, for people ("requests 1,200 → 2,400"). */
  detail: string;
}

export interface Decomposition {
  fromPicos: Picos;
  toPicos: Picos;
  /** Ranked by absolute dollars; their deltas sum exactly to toPicos − fromPicos. */
  drivers: Driver[];
  /** Picodollars of float rounding assigned to the largest continuing driver (shown for honesty). */
  roundingPicos: Picos;
  roundedInto: DriverId | undefined;
}

const MILLION = 1_000_000n;
const FACTORS: DriverId[] = ['requests', 'model_mix', 'tokens_per_request', 'cache', 'tier_mix', 'price'];

/**
 * Splits the change in spend between two windows into drivers whose parts sum exactly
 * to the change (docs/anomalies.md#the-method). Groups whose user, workflow or client is
 * absent from the other window are new (or gone) and count whole to that driver. The
 * rest is, per model,
 *
 *   cost = requests × share of requests × (input per request × cache factor + output per request) × tier factor × price factor
 *
 * where input and output per request price every token as plain input or output at one
 * fixed set of rates, the cache factor is the input priced with cache reads and writes at
 * their own rates over the input priced plain (so it moves with the cache-read share of
 * input alone, not with how input weighs against output), the tier factor is that reference
 * cost with the requests billed at a service tier priced at their tier (flex or a batch at
 * half, priority at twice) over the reference cost, and the price factor is what was
 * actually paid over the reference at the tiers. Each model's change is split among the six
 * drivers by Shapley values, summed over models, rounded to picodollars; the rounding
 * remainder goes to the largest part.
 */
export function decompose(from: readonly SpendGroup[], to: readonly SpendGroup[], rates: RateBook, at: number): Decomposition {
  const seen = (gs: readonly SpendGroup[]) => ({ users: presence(gs, (g) => g.user), workflows: presence(gs, (g) => g.workflow), clients: presence(gs, (g) => g.client) });
  const inFrom = seen(from);
  const inTo = seen(to);
  const isNew = (g: SpendGroup, other: ReturnType<typeof seen>) =>
    (g.user !== '' && !other.users.has(g.user)) || (g.workflow !== '' && !other.workflows.has(g.workflow)) || (g.client !== '' && !other.clients.has(g.client));
  const newGroups = to.filter((g) => isNew(g, inFrom));
  const goneGroups = from.filter((g) => isNew(g, inTo));
  const a = byModel(from.filter((g) => !isNew(g, inTo)), rates, at);
  const b = byModel(to.filter((g) => !isNew(g, inFrom)), rates, at);

  const parts = new Map<DriverId, number>(FACTORS.map((f) => [f, 0]));
  const priceMoves: PriceMove[] = [];
  const moves: ModelMove[] = [];
  const totalA = sumRequests(a);
  const totalB = sumRequests(b);
  for (const model of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(model);
    const y = b.get(model);
    const fa = factors(totalA, x, y);
    const fb = factors(totalB, y, x);
    const split = shapley(fa, fb, cost);
    split.forEach((v, i) => parts.set(FACTORS[i]!, parts.get(FACTORS[i]!)! + v));
    priceMoves.push({ model, part: split[PRICE]!, from: fa[PRICE]![0]!, to: fb[PRICE]![0]! });
    moves.push({ model, tokens: split[TOKENS]!, cache: split[CACHE]!, tier: split[TIER]!, from: x, to: y });
  }
  const continuingChange = sumCost(b) - sumCost(a);
  const rounded = new Map<DriverId, Picos>(FACTORS.map((f) => [f, BigInt(Math.round(parts.get(f)!))]));
  const remainder = continuingChange - [...rounded.values()].reduce((s, v) => s + v, 0n);
  let roundedInto: DriverId | undefined;
  if (remainder !== 0n || continuingChange !== 0n) {
    roundedInto = FACTORS.reduce((best, f) => (abs(rounded.get(f)!) > abs(rounded.get(best)!) ? f : best), FACTORS[0]!);
    rounded.set(roundedInto, rounded.get(roundedInto)! + remainder);
  }

  const newSpend = newGroups.reduce((s, g) => s + g.costPicos, 0n);
  const goneSpend = goneGroups.reduce((s, g) => s + g.costPicos, 0n);
  const details = describe(a, b, newGroups, goneGroups, inFrom, inTo, priceMoves, moves, rounded);
  const drivers: Driver[] = [
    ...FACTORS.map((id) => ({ id, label: driverLabel(id, rounded.get(id)!), deltaPicos: rounded.get(id)!, detail: details[id] })),
    { id: 'new_subjects', label: DRIVER_LABELS.new_subjects, deltaPicos: newSpend, detail: details.new_subjects },
    { id: 'gone_subjects', label: DRIVER_LABELS.gone_subjects, deltaPicos: -goneSpend, detail: details.gone_subjects },
  ];
  drivers.sort((p, q) => (abs(q.deltaPicos) > abs(p.deltaPicos) ? 1 : abs(q.deltaPicos) < abs(p.deltaPicos) ? -1 : 0));
  return { fromPicos: sumAll(from), toPicos: sumAll(to), drivers, roundingPicos: remainder, roundedInto };
}

function byModel(groups: readonly SpendGroup[], rates: RateBook, at: number): Map<string, ModelTotals> {
  const out = new Map<string, ModelTotals>();
  for (const g of groups) {
    const id = `${g.provider}/${g.model}`;
    let m = out.get(id);
    if (!m) out.set(id, (m = { requests: 0, inputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 0, cost: 0n, plainInput: 0, cachedInput: 0, output: 0, tierExtra: 0, tiers: new Map(), priced: true }));
    const r = rates(g.provider, g.model, at);
    if (r) {
      const exact = rates.requestCost && ((u: UsageCounts) => rates.requestCost!(g.provider, g.model, at, u));
      const [plain, cached, output] = referenceCosts(g, r, exact);
      m.plainInput += plain;
      m.cachedInput += cached;
      m.output += output;
      m.tierExtra += tierExtra(g, r, (tier) => rates.tierFactor?.(g.provider, g.model, at, tier));
    } else m.priced = false;
    for (const t of g.tiers ?? []) m.tiers.set(t.tier, (m.tiers.get(t.tier) ?? 0) + t.requests);
    m.requests += g.requests;
    m.inputTokens += g.inputTokens;
    m.cacheReadTokens += g.cacheReadTokens;
    m.cacheWriteTokens += g.cacheWriteTokens;
    m.cacheWrite1hTokens += Math.min(g.cacheWrite1hTokens ?? 0, g.cacheWriteTokens);
    m.outputTokens += g.outputTokens;
    m.cost += g.costPicos;
  }
  return out;
}

/**
 * A group's reference costs [input all plain, input with cache reads and writes, output], each
 * token as the provider bills it given the group's own usage: cache writes at the 5-minute or
 * the 1-hour rate, and each long request (when the rate book can price one) at the tier its own
 * input reaches. What the tiers and write TTLs add is then part of tokens per request and of the
 * cache driver, and only a change of rates is left to the price driver.
 */
function referenceCosts(g: Pick<SpendGroup, 'inputTokens' | 'cacheReadTokens' | 'cacheWriteTokens' | 'cacheWrite1hTokens' | 'outputTokens' | 'long'>, r: TokenRates, exact: RequestCost | undefined): [number, number, number] {
  const rest = { ...g, cacheWrite1hTokens: g.cacheWrite1hTokens ?? 0 };
  const out: [bigint, bigint, bigint] = [0n, 0n, 0n];
  for (const l of exact ? (g.long ?? []) : []) {
    const one = exactCosts(l, exact!);
    if (!one) continue;
    for (const i of [0, 1, 2] as const) out[i] += one[i] * BigInt(l.requests);
    for (const k of ['inputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'cacheWrite1hTokens', 'outputTokens'] as const) rest[k] = Math.max(0, rest[k] - l[k] * l.requests);
  }
  const writes1h = BigInt(Math.min(rest.cacheWrite1hTokens, rest.cacheWriteTokens));
  const writes5m = BigInt(rest.cacheWriteTokens) - writes1h;
  const plain = BigInt(Math.max(0, rest.inputTokens - rest.cacheReadTokens - rest.cacheWriteTokens));
  out[0] += (BigInt(rest.inputTokens) * r.input) / MILLION;
  out[1] += (plain * r.input + BigInt(rest.cacheReadTokens) * r.cacheRead + writes5m * r.cacheWrite + writes1h * (r.cacheWrite1h ?? r.cacheWrite)) / MILLION;
  out[2] += (BigInt(rest.outputTokens) * r.output) / MILLION;
  return [Number(out[0]), Number(out[1]), Number(out[2])];
}

/**
 * What a group's requests billed at a service tier add to its reference cost (negative for flex or a
 * batch): each tier's requests' reference cost at base rates times the tier's factor less one. A
 * tier the rate book cannot price counts as standard (its part stays in the price driver).
 */
function tierExtra(g: SpendGroup, r: TokenRates, factor: (tier: string) => number | undefined): number {
  let extra = 0;
  for (const t of g.tiers ?? []) {
    const f = factor(t.tier);
    if (f === undefined || f === 1) continue;
    const [, cached, output] = referenceCosts(t, r, undefined);
    extra += (cached + output) * (f - 1);
  }
  return extra;
}

/** One long request's reference costs, at the tier its input reaches; undefined when it cannot be priced. */
type RequestCost = (u: UsageCounts) => Picos | undefined;

function exactCosts(l: LongRequest, cost: RequestCost): [bigint, bigint, bigint] | undefined {
  const none = { cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 0, reasoningTokens: 0, toolCalls: 0 };
  const input = { inputTokens: l.inputTokens, cacheReadTokens: l.cacheReadTokens, cacheWriteTokens: l.cacheWriteTokens, cacheWrite1hTokens: l.cacheWrite1hTokens, outputTokens: 0, reasoningTokens: 0, toolCalls: 0 };
  const [plain, cached, all] = [cost({ ...none, inputTokens: l.inputTokens }), cost(input), cost({ ...input, outputTokens: l.outputTokens })];
  return plain === undefined || cached === undefined || all === undefined ? undefined : [plain, cached, all - cached];
}

/** Index of each driver among a model's players: requests, model mix, tokens per request (input, output), cache, tier mix, price. */
const TOKENS = 2;
const CACHE = 3;
const TIER = 4;
const PRICE = 5;

/** A model's cost from its players (see `decompose`). */
function cost(p: readonly number[][]): number {
  const [n, share, perRequest, cache, tier, price] = p as [number[], number[], number[], number[], number[], number[]];
  return n[0]! * share[0]! * (perRequest[0]! * cache[0]! + perRequest[1]!) * tier[0]! * price[0]!;
}

/** The players of a model in one window; those it lacks there are borrowed from the other window, so only its share moves. */
function factors(total: number, m: ModelTotals | undefined, other: ModelTotals | undefined): number[][] {
  const src = m && m.requests > 0 ? m : other!;
  const paid = Number(src.cost);
  const reference = src.cachedInput + src.output;
  const share = m && total > 0 ? m.requests / total : 0;
  // Without tokens or a reference price, cost per request carries everything.
  if (!src.priced || src.plainInput + src.output <= 0 || reference <= 0 || src.requests <= 0) return [[total], [share], [src.requests > 0 ? paid / src.requests : 0, 0], [1], [1], [1]];
  const cache = src.plainInput > 0 ? src.cachedInput / src.plainInput : 1;
  const tier = reference + src.tierExtra > 0 ? (reference + src.tierExtra) / reference : 1;
  return [[total], [share], [src.plainInput / src.requests, src.output / src.requests], [cache], [tier], [paid / (reference * tier)]];
}

function describe(
  a: Map<string, ModelTotals>,
  b: Map<string, ModelTotals>,
  added: readonly SpendGroup[],
  gone: readonly SpendGroup[],
  inFrom: Presence,
  inTo: Presence,
  priceMoves: readonly PriceMove[],
  moves: readonly ModelMove[],
  parts: ReadonlyMap<DriverId, Picos>,
): Record<DriverId, string> {
  const sum = (m: Map<string, ModelTotals>, f: (x: ModelTotals) => number) => [...m.values()].reduce((s, x) => s + f(x), 0);
  const [ra, rb] = [sum(a, (x) => x.requests), sum(b, (x) => x.requests)];
  // The two models whose share of requests moved most, each with its share before and after.
  const movers = () => {
    const pct = (m: Map<string, ModelTotals>, r: number, k: string) => (r > 0 ? (100 * (m.get(k)?.requests ?? 0)) / r : 0);
    const moved = [...new Set([...a.keys(), ...b.keys()])]
      .map((k) => ({ k, from: pct(a, ra, k), to: pct(b, rb, k) }))
      .filter((x) => Math.abs(x.to - x.from) >= 0.5)
      .sort((x, y) => Math.abs(y.to - y.from) - Math.abs(x.to - x.from) || (x.k < y.k ? -1 : 1))
      .slice(0, 2);
    return moved.length === 0 ? 'model shares of requests unchanged' : moved.map((x) => `${modelName(x.k)} ${Math.round(x.from)}% → ${Math.round(x.to)}%`).join(', ');
  };
  const names = (gs: readonly SpendGroup[], other: Presence) => {
    const out = new Set<string>();
    for (const g of gs) {
      if (g.user && !other.users.has(g.user)) out.add(`user ${g.user}`);
      if (g.workflow && !other.workflows.has(g.workflow)) out.add(`workflow ${g.workflow}`);
      if (g.client && !other.clients.has(g.client)) out.add(`client ${g.client}`);
    }
    const list = [...out];
    return list.length === 0 ? 'none' : list.slice(0, 4).join(', ') + (list.length > 4 ? ` and ${list.length - 4} more` : '');
  };
  const fmt = (n: number) => n.toLocaleString('en-US');
  return {
    requests: `requests ${fmt(ra)} → ${fmt(rb)}`,
    tokens_per_request: tokensBy(moves, parts.get('tokens_per_request')!),
    model_mix: `share of requests: ${movers()}`,
    cache: cacheBy(moves, parts.get('cache')!),
    tier_mix: tiersBy(moves, parts.get('tier_mix')!),
    price: `paid per token against today's prices${pricedBy(priceMoves)}`,
    new_subjects: names(added, inFrom),
    gone_subjects: names(gone, inTo),
  };
}

type Presence = { users: Set<string>; workflows: Set<string>; clients: Set<string> };

function presence(gs: readonly SpendGroup[], key: (g: SpendGroup) => string): Set<string> {
  return new Set(gs.filter((g) => g.requests > 0).map(key).filter((k) => k !== ''));
}

function sumRequests(m: Map<string, ModelTotals>): number {
  let n = 0;
  for (const x of m.values()) n += x.requests;
  return n;
}

function sumCost(m: Map<string, ModelTotals>): Picos {
  let c = 0n;
  for (const x of m.values()) c += x.cost;
  return c;
}

function sumAll(gs: readonly SpendGroup[]): Picos {
  return gs.reduce((s, g) => s + g.costPicos, 0n);
}

function abs(p: Picos): Picos {
  return p < 0n ? -p : p;
}

