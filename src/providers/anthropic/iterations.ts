import { type Usage, tokens } from '../../core/usage.js';
import { type JsonObject, asArray, asObject, dig } from '../shared/json.js';

/**
 * Adds the compaction rounds a request ran (context management's `compact_…` edit) to its usage.
 * Anthropic reports them only as `compaction` entries of `usage.iterations` and leaves them out of
 * the top-level fields, yet bills them at the model's rates (SDK `BetaMessageDeltaUsage.iterations`).
 * The `message` entries are already inside the top-level fields.
 */
export function addCompactionRounds(usage: JsonObject, u: Usage): void {
  for (const entry of asArray(usage.iterations) ?? []) {
    const round = asObject(entry);
    if (round?.type !== 'compaction') continue;
    const reads = tokens(round.cache_read_input_tokens);
    const split1h = tokens(dig(round, 'cache_creation', 'ephemeral_1h_input_tokens'));
    const total = round.cache_creation_input_tokens;
    const writes = typeof total === 'number' ? tokens(total) : tokens(dig(round, 'cache_creation', 'ephemeral_5m_input_tokens')) + split1h;
    u.cacheReadTokens += reads;
    u.cacheWriteTokens += writes;
    u.cacheWrite1hTokens += Math.min(writes, split1h);
    u.inputTokens += tokens(round.input_tokens) + reads + writes;
    u.outputTokens += tokens(round.output_tokens);
  }
}
