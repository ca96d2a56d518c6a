import type { Api, Outcome } from './api.js';
import type { Picos } from './money.js';
import type { UsageCounts, UsageSource } from './usage.js';

/**
 * One ledger row: exactly one per client request to an API route, refused and failed
 * ones included. Field names map one-to-one onto the export columns (snake_case there).
 */
export interface LedgerRow extends UsageCounts {
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
  /** The request's tags; Tollgate adds `client_version` (CLIENT_VERSION_TAG) where the client names its version. */
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
  /** The routing rule recorded for this request (docs/routing-rules.md), if any. */
  routeRule: string | null;
  /** That rule's mode: `enforce` changed the model, `shadow` only recorded what it would have done. */
  routeMode: 'enforce' | 'shadow' | null;
  /** Enforced: actual saving against the requested model; shadow: estimated saving at the rule's model. Null when unpriced. */
  routeSavingPicos: Picos | null;
  /** The prompt prefix as block hashes (JSON, see src/cache-analysis/prefix.ts); absent when not hashed. */
  prefix?: string | null;
  /**
   * A short hash of the request's last turn (last message, tool call or tool result), so that
   * the same request repeated in a session can be seen without keeping prompt text. Null when unknown.
   */
  lastTurnHash: string | null;
  /**
   * The id the provider gave the response in its body (`chatcmpl-…`, `resp_…`, `msg_…`, Gemini's
   * `responseId`), which instrumented clients report as `gen_ai.response.id`: how a GenAI span or
   * a log line is matched to the gateway's row of the same call. Absent when unknown. The last
   * export column, so that a pushed or migrated row is still matched.
   */
  responseId?: string | null;
  /**
   * The tier the request was priced at (core/service-tier.ts): `flex`, `priority`, `batch`, `fast`,
   * `us`, … joined by `+`; absent or null at the standard price. The export's last column, after
   * `response_id`, so that older exports still import.
   */
  serviceTier?: string | null;
  /**
   * Each upstream try, when the gateway made any: stored in the `attempts` table in the same
   * transaction as the row, and journaled with it. Not an export column.
   */
  attemptLog?: AttemptRow[];
}

/**
 * What the prompt-cache analyser reads of a row (src/cache-analysis): `LedgerStore.cacheRows`
 * reads only these columns (the service tier, to price a row's tokens as it was billed), since a full row with its prefix is about 1.5 KB, and of the tags
 * only `workflow` and `cache`.
 */
export type CacheRow = Pick<
  LedgerRow,
  | 'id' | 'ts' | 'api' | 'provider' | 'model' | 'keyId' | 'sessionId' | 'tags' | 'status' | 'outcome'
  | 'inputTokens' | 'cacheReadTokens' | 'cacheWriteTokens' | 'cacheWrite1hTokens' | 'outputTokens' | 'reasoningTokens' | 'toolCalls'
  | 'costPicos' | 'prefix' | 'serviceTier'
>;

/** One upstream try of a request (the `attempts` table). The request row's cost is the sum of its attempts'. */
export interface AttemptRow extends UsageCounts {
  requestId: string;
  /** 1-based, in the order tried. */
  n: number;
  /** The deployment's name (the provider's name on the plain path). */
  deployment: string;
  provider: string;
  /** The model asked of this deployment. */
  model: string;
  /** The upstream's HTTP status; 0 when it never answered. */
  status: number;
  /**
   * `ok`; `upstream_error` (an error answer); `truncated` (cut after some bytes);
   * `unreachable` (no answer: refused, reset, DNS); `timeout` (no answer in time);
   * `client_aborted`.
   */
  outcome: string;
  errorType: string | null;
  /** Whether the client received this attempt's response (at most one attempt per request). */
  delivered: boolean;
  usageSource: UsageSource;
  costPicos: Picos | null;
  startedAt: number;
  latencyMs: number;
}

/** Dimensions a report can group by. `pool` is the spend pool that paid ('' for requests no pool paid for). */
export type Dimension = 'user' | 'team' | 'project' | 'model' | 'provider' | 'client' | 'session' | 'day' | 'hour' | 'api' | 'key' | 'pool' | `tag:${string}`;

export const PLAIN_DIMENSIONS = ['user', 'team', 'project', 'model', 'provider', 'client', 'session', 'day', 'hour', 'api', 'key', 'pool'] as const;

export function isDimension(value: string): value is Dimension {
  return (PLAIN_DIMENSIONS as readonly string[]).includes(value) || /^tag:[A-Za-z0-9_.-]+$/.test(value);
}

/** A dimension named twice in a grouping (`--by day --by day`), which would only repeat its column. */
export function repeatedDimension(by: readonly string[]): string | undefined {
  return by.find((d, i) => by.indexOf(d) !== i);
}

/**
 * The tag that holds the calling tool's version (Claude Code's, Codex's, an SDK's), set by the
 * gateway from the client's headers and by the importers and telemetry from what the agent
 * recorded: a tag rather than a column, so reports group by it from the tag rollups.
 */
export const CLIENT_VERSION_TAG = 'client_version';

/**
 * The tags that name the subagent a request came from and the agent that started it: Claude
 * Code's `x-claude-code-agent-id` and `x-claude-code-parent-agent-id` headers, a subagent
 * transcript's `agentId` (usage-formats.md §7). A main thread's requests have neither.
 */
export const AGENT_ID_TAG = 'agent_id';
export const PARENT_AGENT_ID_TAG = 'parent_agent_id';
