import { wholePercent } from '../core/count-text.js';
import type { Picos } from '../core/money.js';

// The evidence beside each driver of `explain` (decompose.ts): the models behind it, each its own figures.

export interface ModelTotals {
  requests: number;
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  cacheWrite1hTokens: number;
  outputTokens: number;
  cost: Picos;
  /** Reference cost of the input with every input token at the plain input rate. */
  plainInput: number;
  /** Reference cost of the input with cache reads and writes at their rates. */
  cachedInput: number;
  /** Reference cost of the output. */
  output: number;
  /** What the requests billed at a service tier add to `cachedInput + output` at their tier's price (negative for flex or a batch). */
  tierExtra: number;
  /** Requests billed at each service tier (the standard ones are the rest). */
  tiers: Map<string, number>;
  /** Whether the rate book priced every group of this model. */
  priced: boolean;
}

/** A model's parts of the tokens-per-request and cache drivers, with its totals in each window (absent: none). */
export interface ModelMove {
  model: string;
  tokens: number;
  cache: number;
  tier: number;
  from: ModelTotals | undefined;
  to: ModelTotals | undefined;
}

/** A model's part of the price driver, and what it paid over today's prices in each window. */
export interface PriceMove {
  model: string;
  part: number;
  from: number;
  to: number;
}

/**
 * The models behind a driver computed per model: those whose part goes the driver's way (a
 * driver at $0 names the largest either way), up to three, largest first. Parts under a
 * microdollar, or under a twentieth of the largest, are float noise or too small to name.
 * Figures pooled over every model would move with the model mix and could contradict the
 * driver: a shift to a model with longer prompts raises the pooled tokens per request while
 * each model's fall.
 */
function drivenBy(moves: readonly ModelMove[], part: (m: ModelMove) => number, total: Picos): ModelMove[] {
  const way = (m: ModelMove) => total === 0n || Math.sign(part(m)) === (total > 0n ? 1 : -1);
  const largest = moves.filter(way).reduce((m, x) => Math.max(m, Math.abs(part(x))), 0);
  return moves
    .filter((x) => way(x) && Math.abs(part(x)) >= 1e6 && Math.abs(part(x)) >= largest / 20)
    .sort((x, y) => Math.abs(part(y)) - Math.abs(part(x)) || (x.model < y.model ? -1 : 1))
    .slice(0, 3);
}

/** "claude-sonnet-4-5 8,700 → 3,910 in, 900 → 640 out": each named model's own tokens per request (output when it moved 1% or more). */
export function tokensBy(moves: readonly ModelMove[], total: Picos): string {
  const named = drivenBy(moves, (m) => m.tokens, total).map((m) => {
    const per = (t: ModelTotals | undefined, f: (x: ModelTotals) => number) => (t && t.requests > 0 ? f(t) / t.requests : 0);
    const [ia, ib] = [per(m.from, (t) => t.inputTokens), per(m.to, (t) => t.inputTokens)];
    const [oa, ob] = [per(m.from, (t) => t.outputTokens), per(m.to, (t) => t.outputTokens)];
    const out = Math.abs(ob - oa) >= 0.01 * Math.max(oa, ob) && Math.round(oa) !== Math.round(ob) ? `, ${count(oa)} → ${count(ob)} out` : '';
    return `${modelName(m.model)} ${count(ia)} → ${count(ib)} in${out}`;
  });
  return named.length === 0 ? "each model's tokens per request unchanged" : `tokens per request, by model: ${named.join('; ')}`;
}

/**
 * "gpt-5 50.0% → 80.0%": each named model's own cache-read share of input, and its cache writes
 * (share of input, and the part kept an hour, billed higher) when they moved a tenth of a point.
 */
export function cacheBy(moves: readonly ModelMove[], total: Picos): string {
  const pct = (n: number, of: number) => (of > 0 ? (100 * n) / of : NaN);
  const text = (x: number) => (Number.isNaN(x) ? 'n/a' : `${x.toFixed(1)}%`);
  const moved = (a: number, b: number) => !(Math.abs(a - b) < 0.1) && !(Number.isNaN(a) && Number.isNaN(b));
  const named = drivenBy(moves, (m) => m.cache, total).map((m) => {
    const [x, y] = [m.from, m.to];
    const of = (t: ModelTotals | undefined, f: (t: ModelTotals) => [number, number]) => (t ? pct(...f(t)) : NaN);
    const read = [of(x, (t) => [t.cacheReadTokens, t.inputTokens]), of(y, (t) => [t.cacheReadTokens, t.inputTokens])] as const;
    const written = [of(x, (t) => [t.cacheWriteTokens, t.inputTokens]), of(y, (t) => [t.cacheWriteTokens, t.inputTokens])] as const;
    const hour = [of(x, (t) => [t.cacheWrite1hTokens, t.cacheWriteTokens]), of(y, (t) => [t.cacheWrite1hTokens, t.cacheWriteTokens])] as const;
    const writes = moved(...written) || moved(...hour) ? `, written ${text(written[0])} → ${text(written[1])} (1-hour ${text(hour[0])} → ${text(hour[1])})` : '';
    return `${modelName(m.model)} ${text(read[0])} → ${text(read[1])}${writes}`;
  });
  return named.length === 0 ? "each model's cache use unchanged" : `cache-read share of input, by model: ${named.join('; ')}`;
}

/** "gpt-5 flex 0% → 60%": each named model's share of requests at each service tier that moved half a point or more. */
export function tiersBy(moves: readonly ModelMove[], total: Picos): string {
  const share = (t: ModelTotals | undefined, tier: string) => (t && t.requests > 0 ? (100 * (t.tiers.get(tier) ?? 0)) / t.requests : 0);
  const named = drivenBy(moves, (m) => m.tier, total).flatMap((m) => {
    const tiers = [...new Set([...(m.from?.tiers.keys() ?? []), ...(m.to?.tiers.keys() ?? [])])].sort();
    const moved = tiers.map((t) => [t, share(m.from, t), share(m.to, t)] as const).filter(([, a, b]) => Math.abs(b - a) >= 0.5);
    return moved.length === 0 ? [] : [`${modelName(m.model)} ${moved.map(([t, a, b]) => `${t} ${Math.round(a)}% → ${Math.round(b)}%`).join(', ')}`];
  });
  return named.length === 0 ? "each model's mix of service tiers unchanged" : `share of requests at a service tier, by model: ${named.join('; ')}`;
}

function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/**
 * The models behind the price driver (up to three, largest part first), each with what it paid
 * over today's prices before and after: "gpt-5 125% → 100%". Parts under a microdollar, or under
 * a twentieth of the largest, are float noise or too small to name.
 */
export function pricedBy(moves: readonly PriceMove[]): string {
  const largest = moves.reduce((m, x) => Math.max(m, Math.abs(x.part)), 0);
  const named = moves
    .filter((x) => Math.abs(x.part) >= 1e6 && Math.abs(x.part) >= largest / 20)
    .sort((x, y) => Math.abs(y.part) - Math.abs(x.part) || (x.model < y.model ? -1 : 1))
    .slice(0, 3)
    .map((x) => `${modelName(x.model)} ${wholePercent(x.from)} → ${wholePercent(x.to)}`);
  return named.length === 0 ? '' : `: ${named.join(', ')}`;
}

/** The model of a `provider/model` key; requests refused before a model was known have none. */
export function modelName(key: string): string {
  return key.split('/').slice(1).join('/') || '(no model)';
}
