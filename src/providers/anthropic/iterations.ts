import { type Usage, tokens, zeroUsage } from '../../core/usage.js';
import { type JsonObject, asArray, asObject, asText, dig } from '../shared/json.js';

/**
 * Adds the rounds `usage.iterations` reports beside the top-level counts, which leave them out
 * (SDK `BetaMessageDeltaUsage.iterations`), each to be priced at its own length tier: a compaction
 * round (context management's `compact_…` edit) is billed at the model's rates, so its counts join
 * the request's too; an advisor's sub-inference (`advisor_message`) at its own model's, so it stays
 * apart. The `message` entries are already inside the top-level counts, but for a server-side
 * fallback's declined hops (declinedHops).
 */
export function addIterations(usage: JsonObject, u: Usage): void {
  for (const entry of asArray(usage.iterations) ?? []) {
    const round = asObject(entry);
    if (round?.type === 'compaction') {
      const r = roundUsage(round);
      u.inputTokens += r.inputTokens;
      u.cacheReadTokens += r.cacheReadTokens;
      u.cacheWriteTokens += r.cacheWriteTokens;
      u.cacheWrite1hTokens += r.cacheWrite1hTokens;
      u.outputTokens += r.outputTokens;
      (u.rounds ??= []).push({ usage: r });
    } else if (round?.type === 'advisor_message') {
      const model = asText(round.model);
      if (model !== undefined) (u.rounds ??= []).push({ model, usage: roundUsage(round) });
    }
  }
  declinedHops(usage, u);
}

/**
 * The model that served a response a server-side fallback moved off the requested one (beta
 * `server-side-fallback-2026-07-01`): the `model` of its `fallback_message` iteration, which SDK
 * 1.12.0's `BetaFallbackMessageIterationUsage` names the signal that a fallback model served it.
 * The Message's own `model` is not documented to change; a streamed one is sent before the fallback.
 */
export function fallbackModel(usage: JsonObject | undefined): string | undefined {
  let model: string | undefined;
  for (const entry of asArray(usage?.iterations) ?? []) {
    const round = asObject(entry);
    if (round?.type === 'fallback_message') model = asText(round.model) ?? model;
  }
  return model;
}

/**
 * A fallback's declined hops are `message` rounds naming the model that declined, billed at its
 * rates, not the fallback's. SDK 1.12.0's fallback middleware, which builds the server's shape,
 * leaves them out of the top-level counts (the serving hop's); where the counts are instead the
 * sum of every hop's, they are inside them and priced apart all the same.
 */
function declinedHops(usage: JsonObject, u: Usage): void {
  const served = fallbackModel(usage);
  if (served === undefined) return;
  const hops = (asArray(usage.iterations) ?? []).map(asObject).filter((r) => r?.type === 'message' || r?.type === 'fallback_message') as JsonObject[];
  const declined = hops.filter((r) => r.type === 'message' && asText(r.model) !== undefined && r.model !== served);
  if (declined.length === 0) return;
  const sum = (field: string) => hops.reduce((n, r) => n + tokens(r[field]), 0);
  const fields = ['input_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens', 'output_tokens'];
  const inCounts = fields.every((f) => sum(f) === tokens(usage[f]));
  for (const r of declined) (u.rounds ??= []).push({ model: asText(r.model)!, usage: roundUsage(r), ...(inCounts ? { inCounts } : {}) });
}

function roundUsage(round: JsonObject): Usage {
  const u = zeroUsage();
  const split1h = tokens(dig(round, 'cache_creation', 'ephemeral_1h_input_tokens'));
  const writes = round.cache_creation_input_tokens;
  u.cacheReadTokens = tokens(round.cache_read_input_tokens);
  u.cacheWriteTokens = typeof writes === 'number' ? tokens(writes) : tokens(dig(round, 'cache_creation', 'ephemeral_5m_input_tokens')) + split1h;
  u.cacheWrite1hTokens = Math.min(u.cacheWriteTokens, split1h);
  u.inputTokens = tokens(round.input_tokens) + u.cacheReadTokens + u.cacheWriteTokens;
  u.outputTokens = tokens(round.output_tokens);
  return u;
}

/**
 * The 1-hour part of `writes`, exactly, from the TTL splits of the `message` entries of
 * `usage.iterations` (one per sampling round of a server tool loop, beta requests only), when
 * their writes add up to `writes`; undefined otherwise. A stream's top-level split is
 * `message_start`'s, the first round's alone.
 */
export function longWritesOfRounds(usage: JsonObject, writes: number): number | undefined {
  let total = 0;
  let long = 0;
  let split = false;
  for (const entry of asArray(usage.iterations) ?? []) {
    const round = asObject(entry);
    // A fallback's serving round stands in place of a `message` one.
    if (round?.type !== 'message' && round?.type !== 'fallback_message') continue;
    total += tokens(round.cache_creation_input_tokens);
    long += tokens(dig(round, 'cache_creation', 'ephemeral_1h_input_tokens'));
    split ||= asObject(round.cache_creation) !== undefined;
  }
  return split && total === writes ? Math.min(long, writes) : undefined;
}
