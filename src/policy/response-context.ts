import type { StoredContext } from './estimate.js';
import { LedgerTokens, type TokenLookupDeps } from './remembered.js';

export { RESPONSE_LOOKUP_MS } from './remembered.js';

/** How far back a follow-up's previous response is looked for in the ledger: the window its read goes through. */
export const RESPONSE_LOOKBACK_MS = 10 * 60_000;

/**
 * What the stored context of a Responses follow-up (`previous_response_id`) counts as at admission:
 * the previous response's own input and output tokens, which the follow-up is billed for as input,
 * when its row is known; else `policy.responses_context_tokens`. Rows this process recorded are
 * remembered (a follow-up usually comes back to the process that served the response, sooner than
 * its row is committed); others are read from the ledger, in RESPONSE_LOOKBACK_MS before now, for at
 * most RESPONSE_LOOKUP_MS. Only a follow-up asks: no other request waits on storage.
 */
export class ResponseContexts extends LedgerTokens {
  constructor(d: TokenLookupDeps) {
    super(d, {
      // A Gemini interaction's row too: its id is what `previous_interaction_id` names.
      apis: ['openai.responses', 'gemini.interactions'],
      tokens: (row) => row.inputTokens + row.outputTokens,
      lookbackMs: RESPONSE_LOOKBACK_MS,
      keep: false,
      failure: 'could not read a Responses follow-up’s previous response from the ledger: its context counts as policy.responses_context_tokens',
    });
  }

  /** The stored context a request continues: `previous`'s own tokens when known in time, else the setting (a conversation's always). */
  async contextOf(previous: string | undefined): Promise<StoredContext> {
    const tokens = previous === undefined ? undefined : await this.tokensOf(previous);
    return tokens === undefined ? { tokens: this.d.fallbackTokens, previous: null } : { tokens, previous: previous! };
  }
}
