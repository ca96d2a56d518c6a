import { createHash } from 'node:crypto';
import type { LedgerRow } from '../core/ledger-row.js';
import type { Logger } from '../core/logger.js';
import { type SettledSpend, settledSpendOf } from '../policy/settled-spend.js';
import { batchContainers, batchStored } from '../providers/shared/batch-results-tap.js';
import type { BatchResult, BatchResults } from '../providers/types.js';
import type { LedgerStore } from '../storage/ports.js';
import { AfterResponse } from './after-response.js';
import { STILL_PENDING } from './background-usage.js';
import { type PriceFn, type RequestFacts, buildRow, newFacts } from './build-row.js';

export interface BatchResultsDeps {
  ledger: Pick<LedgerStore, 'insertNew' | 'pendingResponse' | 'upsert'>;
  price: PriceFn;
  /** The pricing catalog of a configured provider, by name. */
  catalogOf: (provider: string) => string | undefined;
  /** Counts a result's usage and cost in the gateway's metrics (tokens and spend, not a request); absent without metrics. */
  observe?: (row: LedgerRow) => void;
  /** The row that created the OpenAI batch whose output file this is (gateway/batch-poll.ts), when it was created through the gateway. */
  openaiBatchOf?: (provider: string, fileId: string) => Promise<LedgerRow | undefined>;
  /** Charges the downloader's budgets; absent without spend controls. */
  charge?: (spend: SettledSpend) => Promise<void>;
  /** Makes the rows recorded so far visible in storage (boundedly), so that a batch's creation row is found. */
  flush?: () => Promise<void>;
  /** Gives the containers an ended batch's results name, and the Responses and chat completions they are, to the owner of the batch (`batchId`), when it has one (auth.stored_objects); absent, they are not recorded. */
  madeFor?: (batchId: string, ids: readonly string[], api: string) => Promise<void>;
  log: Logger;
}

/** Rows written per insert: a batch holds up to 100,000 requests. */
const ROWS_PER_INSERT = 1000;

/**
 * The row id of one request of a batch: a hash of the batch id and the request's custom_id (a
 * Gemini request's position in its batch), shaped as a UUID (version 8). The same result
 * downloaded twice, or through two replicas, makes the same id, and the ledger keeps the first
 * (inserts ignore a known id).
 */
export function batchResultId(batchId: string, customId: string): string {
  const h = createHash('sha256').update(batchId).update('\u0000').update(customId).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Who a batch's results are billed to, and when: its creation row's, or a download's. */
type Payer = Pick<RequestFacts, 'ts' | 'provider' | 'catalogProvider' | 'keyId' | 'user' | 'team' | 'project' | 'sessionId' | 'client' | 'tags'>;

/**
 * Bills a batch's requests (a Message Batch's, an OpenAI batch's, a Gemini batch's): when its results
 * are downloaded through the gateway (a Gemini batch's inline results: when it is looked up ended), or,
 * when nobody has downloaded them once the batch has ended, when the gateway's sweep reads them
 * itself (`ended`). Each succeeded result gets a row of its own (api `anthropic.batch_message`,
 * `openai.batch_request`, `gemini.batch_request`), its usage read as its API's answer's, priced at
 * its service tier (`batch`, half price), attributed to whoever created the batch through the gateway (key, user, team, project, tags, plus
 * `batch_id` and `custom_id`; to the caller of the download for a batch created elsewhere;
 * an OpenAI output file's batch is found by asking the provider about the pending ones),
 * with an id made from the batch id and custom_id so that each result is recorded once however
 * often it is downloaded. Once the results were read to their end, the creation row is marked billed (`usage_source` final, still
 * free), so that the sweep leaves it. Budgets are charged only for the rows this process
 * inserted. The download's own row stays free. Runs after the download's response, never on its
 * path, and never throws: failures are logged.
 */
export class BatchResultRows {
  private readonly d: BatchResultsDeps;
  private readonly after = new AfterResponse();

  constructor(d: BatchResultsDeps) {
    this.d = d;
  }

  /** Takes a finished results download's facts (their `batch`); the rows are written in the background. */
  downloaded(f: RequestFacts): void {
    const batch = f.batch;
    if (batch === undefined || batch.results.length === 0 || f.status >= 300) return;
    this.after.run(
      async () => {
        // The creation row may still wait in the writer's queue (a batch created and downloaded within
        // its 50 ms): without it the download's caller would pay, and the creation row stay unbilled.
        await this.d.flush?.().catch(() => undefined);
        // Not found (created elsewhere, or billed already), or not known for now: the caller of the download pays.
        const creation = await this.creationOf(f.provider, batch).catch(() => undefined);
        await this.record(creation === undefined ? f : this.payerOf(creation, f.ts), batch, creation && batch.api === 'openai.batch_request' ? { batch_id: creation.responseId! } : {});
        // A download cut short leaves the batch to bill: its other results go to the creator at the next download or sweep.
        if (creation !== undefined && batch.complete) await this.markBilled(creation);
      },
      (err) => this.d.log.error('could not record a batch’s results', { batchId: batch.batchId, results: batch.results.length, err: String(err) }),
    );
  }

  /**
   * Bills an ended batch's succeeded results (`batch`, as a download's tap reads them) to the row
   * that created it (the sweep's way), then marks that row billed; throws when storage fails.
   */
  async ended(creation: LedgerRow, batch: BatchResults): Promise<void> {
    await this.record(this.payerOf(creation, Date.now()), batch, { batch_id: creation.responseId! });
    await this.markBilled(creation);
    // A download through the gateway gives them to the owner of what it names (gateway/objects/access.ts madeObjects); the sweep's reading, here.
    const made = [...batchContainers(batch.results), ...batchStored(batch.results)];
    if (made.length > 0 && this.d.madeFor) {
      await this.d.madeFor(creation.responseId!, made, batch.api).catch((err: unknown) => this.d.log.warn('could not record the containers and stored objects of a batch’s results; they are refused until made again', { batchId: creation.responseId, objects: made.length, err: String(err) }));
    }
  }

  private creationOf(provider: string, batch: BatchResults): Promise<LedgerRow | undefined> {
    if (batch.api === 'anthropic.batch_message') return this.d.ledger.pendingResponse(batch.batchId, 'anthropic.batches');
    if (batch.api === 'gemini.batch_request') return this.d.ledger.pendingResponse(batch.batchId, 'gemini.batches');
    return this.d.openaiBatchOf?.(provider, batch.batchId) ?? Promise.resolve(undefined);
  }

  /** Waits for the writes under way. */
  close(): Promise<void> {
    return this.after.drain();
  }

  private payerOf(creation: LedgerRow, ts: number): Payer {
    const { provider, keyId, user, team, project, sessionId, client, tags } = creation;
    return { ts, provider, catalogProvider: this.d.catalogOf(provider), keyId, user, team, project, sessionId, client, tags };
  }

  /** Marks the creation row billed, once, whichever replica gets there first. */
  private async markBilled(creation: LedgerRow): Promise<void> {
    await this.d.ledger.upsert([{ ...creation, usageSource: 'final' }], [], STILL_PENDING);
  }

  private async record(f: Payer, batch: BatchResults, known: Record<string, string> = {}): Promise<void> {
    const { batchId, api, results } = batch;
    // An OpenAI output file names no batch: its id is the file's, and the batch is tagged when known (the sweep's way).
    const tags = { ...(api === 'openai.batch_request' ? { output_file_id: batchId } : { batch_id: batchId }), ...known };
    for (let i = 0; i < results.length; i += ROWS_PER_INSERT) {
      const rows = results.slice(i, i + ROWS_PER_INSERT).map((r) => this.row(f, batchId, api, tags, r));
      const fresh = new Set(await this.d.ledger.insertNew(rows));
      for (const row of rows) if (fresh.has(row.id)) await this.settle(row);
    }
  }

  private row(f: Payer, batchId: string, api: BatchResults['api'], tags: Record<string, string>, r: BatchResult): LedgerRow {
    const x = newFacts(batchResultId(batchId, r.customId), f.ts, api);
    Object.assign(x, { provider: f.provider, catalogProvider: f.catalogProvider, keyId: f.keyId, user: f.user, team: f.team, project: f.project, sessionId: f.sessionId, client: f.client });
    x.tags = { ...f.tags, ...tags, custom_id: r.customId };
    x.modelRequested = r.model ?? '';
    x.servedModel = r.model;
    x.usage = r.usage;
    x.usageSource = 'final';
    x.serviceTier = r.serviceTier;
    x.billedWithoutUsage = r.billedWithoutUsage === true;
    x.status = 200;
    try {
      return buildRow(x, this.d.price);
    } catch (err) {
      this.d.log.error('pricing failed; recording the batch result unpriced', { id: x.id, err: String(err) });
      return buildRow(x, () => ({ costPicos: null, unpriced: true }));
    }
  }

  private async settle(row: LedgerRow): Promise<void> {
    this.d.observe?.(row);
    if (this.d.charge === undefined || row.costPicos === null || row.costPicos <= 0n) return;
    const spend = settledSpendOf(row, row.costPicos);
    // The ledger has it: a counter that missed it shows as drift, which reconciliation corrects.
    await this.d.charge(spend).catch((err: unknown) => this.d.log.error('could not add a batch result’s cost to its budgets; reconciliation will report the drift', { id: row.id, err: String(err) }));
  }
}
