import { hash } from 'node:crypto';
import type { Api } from '../core/api.js';
import { AGENT_ID_TAG, type CLIENT_VERSION_TAG, type LedgerRow } from '../core/ledger-row.js';
import type { Picos } from '../core/money.js';
import { rowTier } from '../core/service-tier.js';
import type { Usage } from '../core/usage.js';
import { withoutContextLabel } from '../pricing/model-id.js';

/** Prices one imported record (the gateway's pricer, see src/pricing). */
export type ImportPricer = (q: { provider: string; catalogProvider: string; model: string; usage: Usage; at: Date; serviceTier?: string | undefined }) => {
  costPicos: Picos | null;
  unpriced: boolean;
};

/** The `source` of rows read from Claude Code's and Codex's logs. */
export const CLAUDE_CODE_LOG = 'claude-code-log';
export const CODEX_LOG = 'codex-log';

/** A row read from an agent's log by `tollgate import`. */
export function isLogRow(r: Pick<LedgerRow, 'source'>): boolean {
  return r.source === CLAUDE_CODE_LOG || r.source === CODEX_LOG;
}

/**
 * Of two copies of one log record (a session file copied to a second machine, an older sync of
 * it), the one with the larger token total is the response's final usage, as one import keeps
 * it; on a tie the copy already stored stays, with its attribution.
 */
export function keepStoredLogCopy(stored: LedgerRow, incoming: LedgerRow): boolean {
  return isLogRow(incoming) && stored.source === incoming.source && stored.inputTokens + stored.outputTokens >= incoming.inputTokens + incoming.outputTokens;
}

/** A short stable id from the parts that identify a record in its source: a re-import yields the same id. */
export function stableId(prefix: string, ...parts: string[]): string {
  // crypto.hash, one call: a Hash object per id was a tenth of a first import's parse.
  return prefix + hash('sha256', parts.join('\u0000'), 'base64url').slice(0, 27);
}

export interface ImportedRecord {
  id: string;
  ts: number;
  api: Api;
  provider: string;
  model: string;
  user: string | null;
  team: string | null;
  project: string | null;
  sessionId: string | null;
  client: string;
  usage: Usage;
  upstreamRequestId: string | null;
  /** The provider's response id (Claude Code's message id), matched against the gateway's rows. */
  responseId?: string | null;
  source: string;
  serviceTier?: string | undefined;
  /** The agent's version, as its log recorded it: the row's `client_version` tag. */
  clientVersion?: string | null;
  /** The subagent that made the call, as its log recorded it: the row's `agent_id` tag. */
  agentId?: string | null;
}

const VERSION = /^\d+\.\d+\.\d+[\w.+-]{0,30}$/;

/** An agent's version as its log wrote it (`2.1.197`), or null for anything else (`dev`, a number). */
export function agentVersion(v: unknown): string | null {
  return typeof v === 'string' && VERSION.test(v) ? v : null;
}

/** A row's tags: literals, not computed keys, as this runs for every row of an import. */
function importedTags(r: ImportedRecord): Record<string, string> {
  const tags: Record<string, string> = r.clientVersion ? ({ client_version: r.clientVersion } satisfies Record<typeof CLIENT_VERSION_TAG, string>) : {};
  if (r.agentId) tags[AGENT_ID_TAG] = r.agentId;
  return tags;
}

/** A ledger row for a record read from an agent's log: a successful streamed call with final usage. */
export function importedRow(r: ImportedRecord, price: ImportPricer): LedgerRow {
  const p = price({ provider: r.provider, catalogProvider: r.provider, model: r.model, usage: r.usage, at: new Date(r.ts), serviceTier: r.serviceTier });
  const u = r.usage;
  // Fields listed one by one: on Node 20, `{ ...usage, <30 more> }` measured ~100x slower per row.
  const row: LedgerRow = {
    inputTokens: u.inputTokens,
    cacheReadTokens: u.cacheReadTokens,
    cacheWriteTokens: u.cacheWriteTokens,
    cacheWrite1hTokens: u.cacheWrite1hTokens,
    outputTokens: u.outputTokens,
    reasoningTokens: u.reasoningTokens,
    toolCalls: u.toolCalls,
    id: r.id,
    ts: r.ts,
    api: r.api,
    provider: r.provider,
    // The model served: a log's `[1m]` (Claude Code's 1M-context mode) is the request's label, kept as asked for.
    model: withoutContextLabel(r.model),
    modelRequested: r.model,
    keyId: null,
    user: r.user,
    team: r.team,
    project: r.project,
    sessionId: r.sessionId,
    client: r.client,
    // A literal, not a computed key: this runs for every row of an import.
    tags: importedTags(r),
    stream: true,
    status: 200,
    outcome: 'ok',
    errorType: null,
    latencyMs: 0,
    ttftMs: null,
    costPicos: p.costPicos,
    usageSource: 'final',
    unpriced: p.unpriced,
    pool: null,
    attempts: 1,
    upstreamRequestId: r.upstreamRequestId,
    source: r.source,
    routeRule: null,
    routeMode: null,
    routeSavingPicos: null,
    lastTurnHash: null,
  };
  if (r.responseId) row.responseId = r.responseId;
  const tier = rowTier(r.serviceTier, u.speed, u.inferenceGeo);
  if (tier !== null) row.serviceTier = tier;
  return row;
}
