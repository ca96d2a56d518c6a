import type { Picos } from '../core/money.js';
import type { OutcomeEvent } from '../outcomes/outcome.js';
import type { TimeFilter } from './ports.js';

// The stores kept beside the ledger: Claude Code's usage counters and delivered outcomes (see Storage).

/**
 * One data point of Claude Code's usage counters (`claude_code.token.usage`, `claude_code.cost.usage`),
 * kept beside the ledger as a cross-check series (they sum the calls its `api_request` events report).
 */
export interface TelemetryPoint {
  /** Deterministic from the point's identity: a re-sent batch is skipped. */
  id: string;
  /** The end of the point's interval, ms since the epoch. */
  ts: number;
  metric: string;
  sessionId: string | null;
  user: string | null;
  model: string | null;
  /** input, output, cacheRead or cacheCreation for token points; null for cost points. */
  tokenType: string | null;
  tokens: number;
  costPicos: Picos;
}

/** Sums of the points of one session and model. */
export interface TelemetryTotals {
  sessionId: string;
  model: string;
  points: number;
  /** Uncached input, as Claude Code counts it. */
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
  costPicos: Picos;
}

export interface TelemetryStore {
  /** Idempotent on `id`; returns how many were new. */
  insertPoints(points: readonly TelemetryPoint[]): Promise<number>;
  sumPoints(filter: TimeFilter): Promise<TelemetryTotals[]>;
}

export interface OutcomeQuery extends TimeFilter {
  kind?: string;
  limit?: number;
}

/** Delivered work (merged PRs, closed tickets…) that reports divide spend by. */
export interface OutcomeStore {
  /** Idempotent on `id`: returns false, and changes nothing, when the id is already recorded. */
  add(o: OutcomeEvent): Promise<boolean>;
  get(id: string): Promise<OutcomeEvent | undefined>;
  /** Oldest first. */
  list(q: OutcomeQuery): Promise<OutcomeEvent[]>;
}
