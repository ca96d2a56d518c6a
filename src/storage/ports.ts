import type { BudgetCharge, ChargeOption } from './budget-charges.js';
import type { AttemptRow, CacheRow, Dimension, LedgerRow } from '../core/ledger-row.js';
import type { Picos } from '../core/money.js';
import type { Usage, UsageCounts } from '../core/usage.js';
import type { PendingApi } from './pending-sql.js';
import type { AlertOutbox } from '../alerts/outbox.js';
import type { OutcomeStore, TelemetryStore } from './telemetry-outcome-ports.js';
import type { ObjectOwnerStore } from './object-owners.js';

export type { OutcomeQuery, OutcomeStore, TelemetryPoint, TelemetryStore, TelemetryTotals } from './telemetry-outcome-ports.js';
import type { CallerTotals, ExampleSubject, ReleaseCacheUse, RequestPoint, SessionHour, TagCacheUse } from './anomaly-ports.js';
export type { CallerTotals, ExampleSubject, ReleaseCacheUse, RequestPoint, SessionHour, TagCacheUse } from './anomaly-ports.js';
import type { PolicyStore } from './policy-ports.js';
export type { AuditPlace, AuditQuery, PolicyStore } from './policy-ports.js';

/**
 * What the rest of Tollgate needs from storage. SQLite (the embedded default) and
 * Postgres (many replicas) implement it; the contract test suite runs against both.
 */
export interface Storage {
  readonly kind: 'sqlite' | 'postgres';
  readonly ledger: LedgerStore;
  readonly keys: KeyStore;
  readonly policy: PolicyStore;
  readonly telemetry: TelemetryStore;
  readonly outcomes: OutcomeStore;
  readonly alertOutbox: AlertOutbox;
  /** Which key made each object a provider stores (auth.stored_objects). */
  readonly objects: ObjectOwnerStore;
  /**
   * What is wrong with the file the ledger was opened from, when it was deleted or replaced since
   * (a SQLite ledger keeps writing to the file it opened, which nothing else can then read).
   */
  lostFile?(): string | undefined;
  /** Throws a setup error when storage opens but cannot be written (SQLite opens a file its user cannot write read-only). */
  checkWritable?(): void;
  close(): Promise<void>;
}

/** A page of `pendingResponses`. */
export interface PendingQuery {
  api: PendingApi;
  from: number;
  to: number;
  after?: { ts: number; id: string };
  limit: number;
}

export interface LedgerStore {
  /**
   * Inserts rows and updates the rollups in one transaction. Idempotent on `id`:
   * a row already present is skipped and does not count twice. Returns how many were new.
   * A request seen by two sources counts once: a row is also skipped when a row from another
   * `source` (in the ledger or earlier in the batch) has the same `upstreamRequestId` (not null, not empty).
   */
  insert(rows: readonly LedgerRow[]): Promise<number>;
  /** `insert`, queueing the rows' spend for the gateways' budget counters (imports: see budget-charges.ts). */
  insertCharged(rows: readonly LedgerRow[]): Promise<number>;
  /**
   * `insert`, returning the ids of the rows this call inserted (rows already present, or repeats
   * of another source's, are not among them): a writer charging budgets for rows that several
   * processes may record (a Message Batch's results, downloaded twice) charges only these.
   */
  insertNew(rows: readonly LedgerRow[]): Promise<string[]>;
  /**
   * For importers, whose records can grow (a log's final usage arriving after a partial one):
   * like `insert`, but a stored row with the same id and different contents is replaced, and the
   * rows with ids in `remove` are deleted, the rollups adjusted in the same transaction. A row
   * written with an `attemptLog` has its attempts replaced by it; one without keeps those stored.
   * Returns how many rows were inserted or replaced.
   */
  upsert(rows: readonly LedgerRow[], remove?: readonly string[], o?: UpsertOptions): Promise<number>;
  /** Resolves when storage answers a query: a failed write with storage answering was the rows' fault. */
  ping(): Promise<void>;
  get(id: string): Promise<LedgerRow | undefined>;
  /**
   * The gateway's row of a request still without usage (`usage_source` none) that created the
   * response or batch `responseId` (`api`: a Responses request by default): a background
   * response, billed once it is looked up finished (src/metering/background-usage.ts), or a
   * Message Batch, until its results are billed (src/metering/batch-results.ts). Undefined when
   * there is none, or no longer. Served by a partial index that only such rows are in.
   */
  pendingResponse(responseId: string, api?: PendingApi): Promise<LedgerRow | undefined>;
  /**
   * Such rows stamped in [from, to), in (ts, id) order after `after` when given, at most `limit`:
   * the background responses and batches the gateway asks the provider about (src/metering/deferred-usage-sweep.ts).
   */
  pendingResponses(q: PendingQuery): Promise<LedgerRow[]>;
  /**
   * The input and output tokens of the Responses row (usage final) stamped in [since, until) that
   * created `responseId`: the context a follow-up continuing it is billed for. Undefined when there
   * is none in the window, which bounds the read (`response_id` has no index).
   */
  responseContext(responseId: string, since: number, until: number): Promise<number | undefined>;
  /** The tokens the Gemini cache `name` holds, from its creation's row (`gemini.caches`, usage final) stamped in [since, until), read as responseContext is. */
  geminiCacheTokens(name: string, since: number, until: number): Promise<number | undefined>;
  /** A request's upstream tries, in order (empty when it never went upstream). */
  attempts(requestId: string): Promise<AttemptRow[]>;
  /** When the ledger's earliest row is stamped (when measuring began); undefined for an empty ledger. */
  firstTs(): Promise<number | undefined>;
  /** Streams raw rows in time order (for export). */
  scan(filter: TimeFilter): AsyncIterable<LedgerRow>;
  /**
   * The rows that succeeded (status below 400, outcome ok), in time order and in batches, with
   * only the columns (and of the tags, the two) the cache analyser reads: the cache report's
   * one pass over the window.
   */
  cacheRows(filter: TimeFilter): AsyncIterable<CacheRow[]>;
  /** Totals grouped by dimensions, served from rollups (raw rows only for partial hours at the edges). */
  aggregate(query: AggregateQuery): Promise<AggregateRow[]>;
  /** The most expensive 10% of one dimension's groups over the window, and their cost against all groups' (the report's concentration line). */
  topShare(query: TimeFilter & { by: Dimension }): Promise<TopShare>;
  /** Totals per routing rule and mode over the window, from the raw rows that have a rule. */
  ruleTotals(filter: TimeFilter): Promise<RuleTotals[]>;
  /**
   * The window's requests with more than LONG_INPUT_TOKENS (128K) input tokens, per model, provider, user, client,
   * workflow tag and team (`keys`, '' for none) and per exact counts: what `explain` prices one by one,
   * since a long-context tier prices a request by its own input (read from raw rows).
   */
  longRequests(filter: TimeFilter): Promise<LongRequests[]>;
  /**
   * The window's requests billed at a service tier (`service_tier` not null), summed per model, provider, user,
   * client, workflow tag and team (`keys`, as longRequests's) and tier: what `explain` reads to tell a
   * shift of traffic between tiers from a price change, since the rollups do not keep the tier.
   */
  tieredRequests(filter: TimeFilter): Promise<TieredRequests[]>;
  /**
   * The few columns of each request in a short window that per-request detectors read
   * (agent loops, retry storms), in time order. Meant for minutes of data, not months.
   */
  requestPoints(filter: TimeFilter): Promise<RequestPoint[]>;
  /**
   * The request points of the window whose session and step (last turn hash, else tool-call
   * count and output length) occur at least `minRepeats` times: what an agent loop can be
   * made of, counted by the database so that ordinary traffic is not read (agent loops).
   */
  repeatedSteps(filter: TimeFilter, minRepeats: number): Promise<RequestPoint[]>;
  /**
   * Each session's spend per clock hour in [since, until) (whole hours), per user and key, with
   * when its requests started: the runaway-session detector's history, from the hourly session
   * rollup. Rows without a session are left out.
   */
  sessionHours(range: { since: number; until: number }): Promise<SessionHour[]>;
  /**
   * The window's requests that follow one of their session's to the same model by at most `ttlMs`
   * (a prompt cache's TTL: they can read what it wrote), summed per value of tag `tag`, model and
   * provider (cache-hit regressions judge these apart from sessions' cold first calls).
   */
  warmCacheUse(range: { since: number; until: number }, o: { tag: string; ttlMs: number }): Promise<TagCacheUse[]>;
  /** The requests whose tag `tag` is `value`, summed per client and client version (a cache regression's evidence). */
  releaseCacheUse(range: { since: number; until: number }, o: { tag: string; value: string }): Promise<ReleaseCacheUse[]>;
  /** Per caller (key, else user, else client): requests, failures and retries over the window, summed by the database (retry storms). */
  callerTotals(filter: TimeFilter): Promise<CallerTotals[]>;
  /** The ids of a caller's first `limit` failed requests in the window, in time order (a retry storm's evidence). */
  failedRequestIds(filter: TimeFilter, caller: string, limit: number): Promise<string[]>;
  /** The ids of up to `limit` of a subject's requests in the window: its costliest, or those reading least from cache (a spend spike's or cache regression's evidence). */
  exampleRequestIds(filter: TimeFilter, subject: ExampleSubject, order: 'cost' | 'uncached', limit: number): Promise<string[]>;
  /** Where the ledger's writes stand now, as an opaque cursor for `arrivedSince`. */
  arrivalCursor(): Promise<string>;
  /**
   * What was written after `cursor` (inserted, or replaced by an upsert) and committed since:
   * the starts of the `bucketMs` buckets of `ts` its rows fall in (those with ts < `tsBefore`),
   * and the cursor this read stands at. Each committed row is reported by exactly one read
   * whose cursors chain, whatever order concurrent writers committed in (live anomaly
   * detection's late rows, docs/anomalies.md).
   */
  arrivedSince(cursor: string, o: { tsBefore: number; bucketMs: number }): Promise<Arrivals>;
  /**
   * Where the live anomaly scheduler last saved it stood (`saveWatchCursor`); undefined when none
   * was saved, or when the saved cursor is ahead of the ledger's writes (a database restored
   * into another server), which would hide the rows written since.
   */
  watchCursor(): Promise<WatchCursor | undefined>;
  /** Saves it; the last save wins, whichever replica made it (see docs/anomalies.md). */
  saveWatchCursor(c: WatchCursor, at: number): Promise<void>;
  /** Takes (deletes and returns) up to `limit` charges written with `charge` (see budget-charges.ts); each is taken once, whichever replica asks. */
  takeCharges(limit: number): Promise<BudgetCharge[]>;
  /** The charges not taken yet, left in place. */
  pendingCharges(): Promise<BudgetCharge[]>;
  /** Whether the ledger stores a budget: with none stored or configured, an import queues no charges (no counter to add them to). */
  budgetsStored(): Promise<boolean>;
}

export interface UpsertOptions extends ChargeOption {
  /**
   * Replaces only the stored rows this accepts, read in the upsert's transaction, and inserts
   * none: how a background response's usage is settled (`{ usageSource: 'none' }` stored), so that
   * of processes settling one at once, only one changes it, whatever each wrote.
   */
  replaceIf?: (stored: LedgerRow) => boolean;
  /** A stored row this returns true for stays as it is: its incoming copy is dropped (read in the upsert's transaction). */
  keep?: (stored: LedgerRow, incoming: LedgerRow) => boolean;
}

/** A place in the ledger's arrivals up to which a scheduler looked, and the past evaluations it still owed then. */
export interface WatchCursor {
  /** An `arrivalCursor`. */
  cursor: string;
  /** Opaque to storage (the scheduler's JSON). */
  owed: string;
}

/** The rows written since a cursor, as `ts` buckets, and where the read stands. */
export interface Arrivals {
  cursor: string;
  /** Bucket starts (ms since the epoch), ascending, each once. */
  buckets: number[];
}

/** One routing rule's requests in one mode (docs/routing-rules.md). */
export interface RuleTotals {
  rule: string;
  mode: 'enforce' | 'shadow';
  requests: number;
  errors: number;
  /** Requests whose saving is unknown (the served or the compared model has no price). */
  unpricedRequests: number;
  inputTokens: number;
  outputTokens: number;
  /** What these requests cost. */
  costPicos: Picos;
  /** Enforced: actual saving against the requested models; shadow: estimated saving at the rule's model. */
  savingPicos: Picos;
}

export interface TimeFilter {
  /** Inclusive, ms since epoch. */
  since?: number;
  /** Exclusive, ms since epoch. */
  until?: number;
}

export interface AggregateQuery extends TimeFilter {
  by: readonly Dimension[];
  /**
   * Sum only requests and cost (every other total reads zero): for rankings over many
   * groups, such as the concentration line over every session, where the other sums
   * would cost most of the time.
   */
  costOnly?: boolean;
  /** With `costOnly`, count the unpriced requests too: a cost none of whose requests had a price is unknown, not $0. */
  countUnpriced?: boolean;
}

/**
 * The groups of one dimension that hold a value (a session id, a workflow…) and had requests,
 * how many of the most expensive make the top 10% (rounded up, at least one), their cost and
 * the cost of all of them.
 */
export interface TopShare {
  groups: number;
  top: number;
  topCostPicos: Picos;
  costPicos: Picos;
}

/** A group's sums: every usage field, and its requests, errors and cost. */
export interface Totals extends Usage {
  requests: number;
  errors: number;
  unpricedRequests: number;
  costPicos: Picos;
}

/** Requests of the same group (`keys`) with the same counts, and how many there were. */
export type LongRequests = Omit<UsageCounts, 'reasoningTokens' | 'toolCalls'> & { keys: string[]; requests: number };

/** Requests of one group (`keys`) billed at one service tier: their summed counts, and how many there were. */
export type TieredRequests = LongRequests & { tier: string };

export interface AggregateRow extends Totals {
  /** One value per requested dimension, in order ('' when the row had none). */
  keys: string[];
}

export interface KeyRecord {
  id: string;
  /** The first characters of the key, for people to recognise it (never enough to use it). */
  prefix: string;
  user: string | null;
  team: string | null;
  project: string | null;
  name: string | null;
  createdAt: number;
  revokedAt: number | null;
  /** When the key stops working (ms), or null for never. */
  expiresAt: number | null;
}

export interface NewKey {
  id: string;
  hash: string;
  prefix: string;
  user: string | null;
  team: string | null;
  project: string | null;
  name: string | null;
  createdAt: number;
  expiresAt?: number | null;
}

export interface KeyStore {
  create(key: NewKey): Promise<KeyRecord>;
  list(opts?: { includeRevoked?: boolean }): Promise<KeyRecord[]>;
  /** Returns the revoked key, or undefined when no such key exists. */
  revoke(id: string, at: number): Promise<KeyRecord | undefined>;
  findByHash(hash: string): Promise<KeyRecord | undefined>;
}

export function emptyTotals(): Totals {
  return {
    requests: 0,
    errors: 0,
    unpricedRequests: 0,
    inputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    outputTokens: 0,
    reasoningTokens: 0,
    toolCalls: 0,
    costPicos: 0n,
  };
}

export function addTotals(into: Totals, t: Totals): void {
  into.requests += t.requests;
  into.errors += t.errors;
  into.unpricedRequests += t.unpricedRequests;
  into.inputTokens += t.inputTokens;
  into.cacheReadTokens += t.cacheReadTokens;
  into.cacheWriteTokens += t.cacheWriteTokens;
  into.cacheWrite1hTokens += t.cacheWrite1hTokens;
  into.outputTokens += t.outputTokens;
  into.reasoningTokens += t.reasoningTokens;
  into.toolCalls += t.toolCalls;
  into.costPicos += t.costPicos;
}
