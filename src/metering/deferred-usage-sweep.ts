import type { LedgerRow } from '../core/ledger-row.js';
import type { Logger } from '../core/logger.js';
import type { PendingApi } from '../storage/pending-sql.js';
import type { LedgerStore } from '../storage/ports.js';

/** What the provider said of a background response or a batch asked after. */
export type PollResult =
  /** Done, and handed on to be billed (a response completed, failed, cancelled or incomplete; a batch ended). */
  | { kind: 'finished' }
  /** Still queued or in progress. */
  | { kind: 'running' }
  /** The provider does not know it under the key Tollgate holds (deleted, or made with another account's key). */
  | { kind: 'unknown' }
  /** Tollgate holds no key to ask with: the client's own key was passed through, or the provider has none configured. */
  | { kind: 'no_key' }
  /** No answer (network, timeout, 429, 5xx): asked again later. */
  | { kind: 'failed'; reason: string };

export interface DeferredUsageSettings {
  /** How often the ledger is looked through. */
  intervalMs: number;
  /** Responses and batches created longer ago than this are no longer asked after. */
  maxAgeMs: number;
  /** How old a row must be before it is first asked after (15 s; most clients come back before). */
  firstAskMs?: number;
  /** The wait after a "still running" or a failed ask (30 s), doubled each time up to 15 minutes. */
  firstWaitMs?: number;
}

export interface DeferredUsageSweepDeps extends DeferredUsageSettings {
  /** Which rows: background responses (`openai.responses`), Message Batches (`anthropic.batches`), OpenAI batches (`openai.batches`) or Gemini batches (`gemini.batches`). */
  api: PendingApi;
  ledger: Pick<LedgerStore, 'pendingResponses'>;
  /** Asks the provider about what a row's request made, and hands it on to be billed when finished (a throw counts as a failed ask). */
  poll: (row: LedgerRow) => Promise<PollResult>;
  log: Logger;
  now?: () => number;
}

/** What each sweep is about, for its log lines. */
const WHAT: Record<PendingApi, { one: string; all: string }> = {
  'openai.responses': { one: 'a background response', all: 'background responses' },
  'gemini.interactions': { one: 'a background interaction', all: 'background interactions' },
  'anthropic.batches': { one: 'a message batch', all: 'message batches' },
  'openai.batches': { one: 'an OpenAI batch', all: 'OpenAI batches' },
  'gemini.batches': { one: 'a Gemini batch', all: 'Gemini batches' },
};

const FIRST_ASK_MS = 15_000;
/** The wait after a "still running" or a failed ask, doubled each time up to MAX_WAIT_MS. */
const FIRST_WAIT_MS = 30_000;
const MAX_WAIT_MS = 15 * 60_000;
/** The wait after the provider did not know a response, or Tollgate had no key to ask with. */
const GIVE_UP_MS = 6 * 60 * 60_000;
const PAGE = 500;
/** Provider calls per pass at most; the rest wait for the next pass. */
const MAX_ASKS = 200;
/** Provider calls at once. */
const PARALLEL = 4;

/**
 * Bills what a request started and its client never came back for. A Responses request made
 * with `background: true` is answered `queued`, without usage, and its row waits, usage none,
 * for a lookup to show the usage (BackgroundUsage); a batch's row (Anthropic's, OpenAI's or Gemini's) waits
 * for its results to be downloaded or looked up (BatchResultRows). A client that never comes back (it took the answer from
 * a webhook, or gave up) would leave them unbilled; so every `intervalMs` the gateway lists such
 * rows younger than `maxAgeMs` and asks the provider, with the key it holds for it, about each
 * one that is due, waiting longer between asks the longer one runs. `poll` hands a finished one
 * on to be billed, once whichever replica gets there first. What to ask again when is kept in
 * memory: after a restart every pending row is due.
 */
export class DeferredUsageSweep {
  private readonly d: DeferredUsageSweepDeps;
  private readonly now: () => number;
  /** When each response or batch (by its id) may be asked after again, and the wait that set it. */
  private readonly due = new Map<string, { at: number; waitMs: number }>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private seenAtLastPass = 0;

  constructor(d: DeferredUsageSweepDeps) {
    this.d = d;
    this.now = d.now ?? Date.now;
  }

  /** Which rows this sweep is about. */
  get api(): PendingApi {
    return this.d.api;
  }

  /** Rows still waiting for their usage in the sweep's window, as its last pass listed them (at least). */
  get waiting(): number {
    return this.seenAtLastPass;
  }

  start(): void {
    this.schedule();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One pass over the ledger; resolves when its asks are answered. */
  async sweep(): Promise<{ asked: number; finished: number }> {
    const now = this.now();
    const due: LedgerRow[] = [];
    const seen = new Set<string>();
    let after: { ts: number; id: string } | undefined;
    for (;;) {
      const page = await this.d.ledger.pendingResponses({ api: this.d.api, from: now - this.d.maxAgeMs, to: now - (this.d.firstAskMs ?? FIRST_ASK_MS) + 1, after, limit: PAGE });
      for (const row of page) {
        seen.add(row.responseId!);
        if (due.length < MAX_ASKS && (this.due.get(row.responseId!)?.at ?? 0) <= now) due.push(row);
      }
      if (page.length < PAGE || due.length >= MAX_ASKS) break;
      const last = page[page.length - 1]!;
      after = { ts: last.ts, id: last.id };
    }
    // Forget what left the ledger's pending rows (billed, or too old), unless the listing stopped early.
    if (due.length < MAX_ASKS) for (const id of this.due.keys()) if (!seen.has(id)) this.due.delete(id);
    this.seenAtLastPass = seen.size;
    let finished = 0;
    let next = 0;
    const worker = async () => {
      while (next < due.length && !this.closed) {
        const row = due[next++]!;
        if (await this.ask(row)) finished++;
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    return { asked: next, finished };
  }

  /** Asks about one row's response or batch; true when it finished and was handed on to be billed. */
  private async ask(row: LedgerRow): Promise<boolean> {
    const id = row.responseId!;
    let r: PollResult;
    try {
      r = await this.d.poll(row);
    } catch (err) {
      r = { kind: 'failed', reason: String(err) };
    }
    switch (r.kind) {
      case 'finished':
        this.due.delete(id);
        return true;
      case 'running':
        this.later(id, false);
        return false;
      case 'failed':
        this.d.log.warn(`could not ask the provider about ${this.what().one}; asking again later`, { id: row.id, responseId: id, reason: r.reason });
        this.later(id, false);
        return false;
      case 'unknown':
      case 'no_key':
        this.later(id, true);
        return false;
    }
  }

  private what(): { one: string; all: string } {
    return WHAT[this.d.api];
  }

  private later(id: string, giveUp: boolean): void {
    const prev = this.due.get(id)?.waitMs;
    const waitMs = giveUp ? GIVE_UP_MS : prev === undefined ? (this.d.firstWaitMs ?? FIRST_WAIT_MS) : Math.min(MAX_WAIT_MS, prev * 2);
    this.due.set(id, { at: this.now() + waitMs, waitMs });
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.running = this.sweep()
        .then(() => undefined)
        .catch((err: unknown) => this.d.log.error(`the sweep of ${this.what().all} failed; trying again at the next interval`, { err: String(err) }))
        .finally(() => {
          this.running = undefined;
          this.schedule();
        });
    }, this.d.intervalMs);
    this.timer.unref();
  }
}
