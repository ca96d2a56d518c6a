import { hasTokens, zeroUsage } from '../core/usage.js';
import type { Api } from '../core/api.js';
import type { BackgroundApi, FinishedResponse } from './background-usage.js';
import type { RequestFacts } from './build-row.js';

/** The API whose lookups return what each background API's request made. */
const LOOKUP: Record<BackgroundApi, Api> = { 'openai.responses': 'openai.responses_lookup', 'gemini.interactions': 'gemini.interactions_lookup' };
const CREATED_BY = new Map<Api, BackgroundApi>(Object.entries(LOOKUP).map(([made, lookup]) => [lookup, made as BackgroundApi]));

/**
 * OpenAI's stored responses (and Gemini's interactions) are billed once, when they are created. Looking one up (retrieve,
 * cancel, delete, input items) returns the response, usage and all, and must not bill it again:
 * a lookup's row is always free. Except a response created with `background: true`: it answers
 * `queued` (an interaction `in_progress`), without usage, and shows its usage only once finished. A lookup that returns a
 * finished response with its usage hands it to `finished` (BackgroundUsage), which puts it on
 * the row of the request that created the response, if that row is still without usage, whichever
 * process recorded it. The ids of background responses created through this process are kept, as
 * a hint that their row may still be in the writer's queue.
 */
export class StoredResponses {
  private readonly pending = new Set<string>();
  private readonly max: number;
  private readonly finished: ((r: FinishedResponse) => void) | undefined;

  constructor(finished?: (r: FinishedResponse) => void, max = 100_000) {
    this.finished = finished;
    this.max = max;
  }

  /** Adjusts a finished request's facts before its row is built. */
  settle(f: RequestFacts): void {
    if (f.api in LOOKUP) {
      if (f.pendingResponse && f.responseId !== null) this.remember(f.responseId);
      return;
    }
    const api = CREATED_BY.get(f.api);
    if (api === undefined) return;
    const id = f.responseId;
    if (id !== null && f.usageSource === 'final' && f.status < 300 && hasTokens(f.usage)) {
      const local = this.pending.delete(id);
      this.finished?.({ api, responseId: id, usage: f.usage, servedModel: f.servedModel, serviceTier: f.serviceTier, local, background: f.backgroundResponse });
    }
    // Not this response's record: no usage, and no response id, which would make an import of
    // the call that created it look like a duplicate of this row.
    f.usage = zeroUsage();
    f.usageSource = 'none';
    f.responseId = null;
  }

  private remember(id: string): void {
    // Oldest first by insertion order: a full set forgets the longest-pending id.
    if (this.pending.size >= this.max) this.pending.delete(this.pending.values().next().value!);
    this.pending.add(id);
  }
}
