import type { Picos } from '../core/money.js';
import type { RowPricer } from './price-moves.js';

export type CacheGroupBy = 'workflow' | 'key' | 'model' | 'session';
export const CACHE_GROUP_BY: readonly CacheGroupBy[] = ['workflow', 'key', 'model', 'session'];

export interface CacheReportOptions {
  by: CacheGroupBy;
  /** The window analysed (ms); weekly figures scale the window's savings to seven days. */
  since?: number;
  until?: number;
  /**
   * When the ledger began measuring (its earliest row): a window that starts before it is
   * counted from then, so that three days of data asked about as seven give a 3-day rate.
   */
  measuredSince?: number;
  /**
   * The clock (ms) when the report runs. A write is judged "never read back within its TTL" only
   * once its TTL ran out by the earlier of `until` and now: with `until` still ahead, a write
   * whose TTL is running may yet be read, so it is open, not wasted.
   */
  now?: number;
  price: RowPricer;
}

export interface GroupStats {
  key: string;
  requests: number;
  /** Requests whose prompt prefix was hashed. */
  hashed: number;
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costPicos: Picos;
  /** cacheRead / input tokens. */
  cacheReadShare: number;
  /** The share of hashed input that repeats a prefix seen in the hour before (same model): what caching could serve. */
  repeatedPrefixShare: number;
  wastedWrites: number;
  wastedWritePicos: Picos;
}

export type FindingKind = 'prefix_drift' | 'wasted_writes' | 'ttl_1h' | 'missing_breakpoint';
export type DriftCause = 'volatile_block' | 'reordered' | 'per_session' | 'changed';

export interface Finding {
  kind: FindingKind;
  cause?: DriftCause;
  group: string;
  /** The model the finding is about; for a group's own findings, its most used model. */
  model: string;
  /** How many models the group's requests used, when more than one (`model` is then the most used). */
  models?: number;
  /** The saving over the analysed window, and scaled to a week. */
  windowPicos: Picos;
  weeklyPicos: Picos;
  title: string;
  fix: string;
  evidence: Evidence;
}

export interface Evidence {
  requestIds: string[];
  /** Requests (or pairs of consecutive calls) the finding is about. */
  count: number;
  /** Of how many. */
  outOf: number;
  /** Block position (0-based, prompt order: tools, system, messages) where the prefix first differs. */
  firstDifferingBlock?: number;
  /** What that block is, e.g. "system block 1" or "tool 3". */
  blockLabel?: string;
  /** The block's text, only when `cache_analysis.store_prompts` is on. */
  sample?: string;
  /** Drift by the client's version (the `client_version` tag), when the calls came from more than one. */
  clientVersions?: { version: string; pairs: number; drift: number }[];
  tokens?: number;
}

export interface AutoCacheComparison {
  group: string;
  without: Side;
  withAuto: Side;
}

export interface Side {
  requests: number;
  cacheReadShare: number;
  costPerRequestPicos: Picos;
}

export interface CacheReport {
  by: CacheGroupBy;
  since: number | undefined;
  until: number | undefined;
  /** The span weekly figures are scaled from: the window, less what of it is still ahead or before the ledger's first row. */
  windowMs: number;
  /** Now, when the window's end is still ahead: the part after it holds no traffic yet and is not measured. */
  measuredUntil?: number;
  /** When the ledger's first row came, if inside the window (weekly figures are then scaled from it). */
  ledgerBegan?: number;
  groups: GroupStats[];
  findings: Finding[];
  autoCache: AutoCacheComparison[];
}
