import type { LedgerRow } from '../core/ledger-row.js';
import type { StoredContext } from './estimate.js';
import { Remembered, type TokenLookupDeps } from './remembered.js';

/** How far back a follow-up's previous response is looked for in the ledger: the window its read goes through. */
export const RESPONSE_LOOKBACK_MS = 10 * 60_000;
/** How long admission waits for that read before counting `policy.responses_context_tokens` instead. */
export const RESPONSE_LOOKUP_MS = 100;


/**
 * What the stored context of a Responses follow-up (`previous_response_id`) counts as at admission:
 * the previous response's own input and output tokens, which the follow-up is billed for as input,
 * when its row is known; else `policy.responses_context_tokens`. Rows this process recorded are
 * remembered (a follow-up usually comes back to the process that served the response, sooner than
 * its row is committed); others are read from the ledger, in RESPONSE_LOOKBACK_MS before now, for at
 * most RESPONSE_LOOKUP_MS. Only a follow-up asks: no other request waits on storage.
 */
export class ResponseContexts {
  private readonly d: TokenLookupDeps;
  private readonly known: Remembered;

  constructor(d: TokenLookupDeps) {
    this.d = d;
    this.known = new Remembered({ timeoutMs: d.timeoutMs ?? RESPONSE_LOOKUP_MS, log: d.log, failure: 'could not read a Responses follow-up’s previous response from the ledger: its context counts as policy.responses_context_tokens' });
  }

  /** Notes a row the gateway recorded: a Responses request answered with its final usage, which a follow-up may continue. */
  remember(row: LedgerRow): void {
    if (row.api !== 'openai.responses' || !row.responseId || row.usageSource !== 'final' || row.status >= 400) return;
    this.known.note(row.responseId, row.inputTokens + row.outputTokens);
  }

  /** The stored context a request continues: `previous`'s own tokens when known in time, else the setting (a conversation's always). */
  async contextOf(previous: string | undefined): Promise<StoredContext> {
    const now = this.d.now();
    const tokens = previous === undefined ? undefined : await this.known.get(previous, () => this.d.lookup(previous, now - RESPONSE_LOOKBACK_MS, now + 1));
    return tokens === undefined ? { tokens: this.d.fallbackTokens, previous: null } : { tokens, previous: previous! };
  }
}
