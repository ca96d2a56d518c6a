import type { AuditEntry, Budget, Increase, IncreaseStatus, ModelPolicy, RateLimit } from '../policy/rules.js';

/** An audit entry's place in the log's order (newest first: time, then write order within a millisecond). */
export interface AuditPlace {
  ts: number;
  seq: number;
}

export interface AuditQuery {
  since?: number;
  until?: number;
  before?: AuditPlace;
  limit?: number;
}

/**
 * Budgets, pools, rate limits, model policies, increase requests and the audit log
 * (rules made with the CLI and admin API; rules from the config file never reach storage).
 */
export interface PolicyStore {
  listBudgets(): Promise<Budget[]>;
  /** Inserts or replaces by id. */
  putBudget(b: Budget): Promise<void>;
  /** Returns false when no such budget exists. */
  deleteBudget(id: string): Promise<boolean>;

  listRateLimits(): Promise<RateLimit[]>;
  putRateLimit(r: RateLimit): Promise<void>;
  deleteRateLimit(id: string): Promise<boolean>;

  listModelPolicies(): Promise<ModelPolicy[]>;
  putModelPolicy(p: ModelPolicy): Promise<void>;
  deleteModelPolicy(id: string): Promise<boolean>;

  createIncrease(i: Increase): Promise<void>;
  getIncrease(id: string): Promise<Increase | undefined>;
  /** Newest first; `status` filters. */
  listIncreases(opts?: { status?: IncreaseStatus }): Promise<Increase[]>;
  /**
   * Moves an increase from `from` to its new state only if it is still in `from`
   * (compare-and-set), so two approvers or two replicas cannot both decide it.
   * Returns the updated increase, or undefined when it was not in `from`.
   */
  transitionIncrease(id: string, from: IncreaseStatus, to: Partial<Pick<Increase, 'status' | 'decidedAt' | 'decidedBy' | 'note' | 'expiresAt'>>): Promise<Increase | undefined>;

  appendAudit(e: AuditEntry): Promise<void>;
  /** Newest first; `since` inclusive, `until` exclusive; `before`: only entries older than that place. */
  listAudit(opts?: AuditQuery): Promise<AuditEntry[]>;
  /** At most `limit` of listAudit's entries, and where they end when more may follow: the next page's `before`. */
  pageAudit(opts: AuditQuery & { limit: number }): Promise<{ entries: AuditEntry[]; next: AuditPlace | undefined }>;

  /**
   * Records that an alert was sent; returns false when it already was (across replicas),
   * so each threshold alerts once per window.
   */
  claimAlert(key: string, at: number): Promise<boolean>;

  /**
   * Which episode an anomaly's detection belongs to, decided in one statement across replicas:
   * the key of the episode it continues (its window starts no later than `gapMs` after the
   * episode's last window ends, and ends no earlier than `gapMs` before its first starts; the
   * episode then spans both), else its own key, which opens a new episode when its window is the
   * latest (an older one, found late, leaves the open episode as it is). The rule of
   * src/anomalies/episodes.ts, so that two replicas finding one anomaly at once, keyed by
   * different hours, alert it once.
   */
  joinEpisode(e: { who: string; key: string; start: number; end: number }, gapMs: number): Promise<string>;
}
