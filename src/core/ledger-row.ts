import type { Api, Outcome } from './api.js';
import type { Picos } from './money.js';
import type { Usage, UsageSource } from './usage.js';

/**
 * One ledger row: exactly one per client request to an API route, refused and failed
 * ones included. Field names map one-to-one onto the export columns (snake_case there).
 */
export interface LedgerRow extends Usage {
  /** Equals the `x-tollgate-request-id` the client received. */
  id: string;
  /** When the request arrived, ms since the epoch. */
  ts: number;
  api: Api;
  /** The configured provider's name ('' when none was chosen). */
  provider: string;
  /** What the provider reports serving (falls back to the requested model). */
  model: string;
  modelRequested: string;
  keyId: string | null;
  user: string | null;
  team: string | null;
  project: string | null;
  sessionId: string | null;
  /** claude-code, codex, openai-sdk, anthropic-sdk, genai-sdk, curl, … */
  client: string | null;
  tags: Record<string, string>;
  stream: boolean;
  /** The HTTP status the client received. */
  status: number;
  outcome: Outcome;
  errorType: string | null;
  latencyMs: number;
  ttftMs: number | null;
  /** Null when the model has no price (then `unpriced` is true). */
  costPicos: Picos | null;
  usageSource: UsageSource;
  unpriced: boolean;
  /** The spend pool that paid for this request (its own budget was spent), if any. */
  pool: string | null;
  /** Upstream tries made for this request. */
  attempts: number;
  upstreamRequestId: string | null;
  /** Where the row came from: the gateway itself, or an importer. */
  source: string;
  /**
   * A short hash of the request's last turn (last message, tool call or tool result), so that
   * the same request repeated in a session can be seen without keeping prompt text. Null when unknown.
   */
  lastTurnHash: string | null;
}

/** Dimensions a report can group by. `pool` is the spend pool that paid ('' for requests no pool paid for). */
export type Dimension = 'user' | 'team' | 'project' | 'model' | 'provider' | 'client' | 'session' | 'day' | 'hour' | 'api' | 'key' | 'pool' | `tag:${string}`;

export const PLAIN_DIMENSIONS = ['user', 'team', 'project', 'model', 'provider', 'client', 'session', 'day', 'hour', 'api', 'key', 'pool'] as const;

export function isDimension(value: string): value is Dimension {
  return (PLAIN_DIMENSIONS as readonly string[]).includes(value) || /^tag:[A-Za-z0-9_.-]+$/.test(value);
}
