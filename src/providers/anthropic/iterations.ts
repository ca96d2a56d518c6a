import { type Usage, tokens, zeroUsage } from '../../core/usage.js';
import { type JsonObject, asArray, asObject, asText, dig } from '../shared/json.js';

/**
 * Adds the rounds `usage.iterations` reports beside the top-level counts, which leave them out
 * (SDK `BetaMessageDeltaUsage.iterations`), each to be priced at its own length tier: a compaction
 * round (context management's `compact_…` edit) is billed at the model's rates, so its counts join
 * the request's too; an advisor's sub-inference (`advisor_message`) at its own model's, so it stays
 * apart. The `message` entries are already inside the top-level counts.
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
    if (round?.type !== 'message') continue;
    total += tokens(round.cache_creation_input_tokens);
    long += tokens(dig(round, 'cache_creation', 'ephemeral_1h_input_tokens'));
    split ||= asObject(round.cache_creation) !== undefined;
  }
  return split && total === writes ? Math.min(long, writes) : undefined;
}
