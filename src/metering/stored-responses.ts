import { zeroUsage } from '../core/usage.js';
import type { RequestFacts } from './build-row.js';

/**
 * OpenAI's stored responses are billed once, when they are created. Looking one up (retrieve,
 * cancel, delete, input items) returns the response, usage and all, and must not bill it again.
 * Except a response created with `background: true`: it answers `queued`, without usage, and
 * shows its usage only once finished. The ids of those seen created so are kept, and the first
 * lookup that returns one with its usage records that usage, once.
 *
 * Kept in memory: a background response created through another gateway process, or before a
 * restart, is unknown here, and its usage goes unrecorded. It is never recorded twice.
 */
export class StoredResponses {
  private readonly pending = new Set<string>();
  private readonly max: number;

  constructor(max = 100_000) {
    this.max = max;
  }

  /** Adjusts a finished request's facts before its row is built. */
  settle(f: RequestFacts): void {
    if (f.api === 'openai.responses') {
      if (f.pendingResponse && f.responseId !== null) this.remember(f.responseId);
      return;
    }
    if (f.api !== 'openai.responses_lookup') return;
    if (f.usageSource !== 'none' && f.responseId !== null && this.pending.delete(f.responseId)) return;
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
