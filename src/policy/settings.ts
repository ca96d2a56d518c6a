import type { InputCounting } from './estimate.js';
import { GEMINI_CACHE_TOKENS } from './gemini-cache.js';
import type { Picos } from '../core/money.js';
import { DEFAULT_SERVER_TOOLS, DEFAULT_SERVER_TOOL_FEE } from './server-tools.js';
import type { SettleRetry } from './settle-holds.js';

/** Organisation-wide settings for budgets and rate limits (the `policy:` config section). */
export interface PolicySettings {
  /** Calendar windows (day, week, month, quarter) start at midnight in this zone. */
  timeZone: string;
  /** Whether refusals, headers and `/me` show dollar amounts, or only percentages. */
  showAmounts: boolean;
  inputCounting: InputCounting;
  /** The output cap assumed for requests that set none. */
  defaultMaxOutputTokens: number;
  /**
   * The input counted for the stored context a Responses request (or a Gemini interaction) continues (`previous_response_id`, `previous_interaction_id`,
   * `conversation`) when its previous response's row is not found in time: a conversation's, or one
   * too old, on another replica's write buffer, or while storage does not answer.
   */
  responsesContextTokens: number;
  /** Uses counted for a server-side tool (web search, web fetch, code execution, file search, grounding) whose request sets no limit on them. */
  serverToolUses: number;
  /** Input tokens counted for each server-side tool use's result, where the request does not bound it (web fetch's `max_content_tokens`). */
  serverToolResultTokens: number;
  /** Counted for each server-side tool use billed at a fee the price catalog does not give (file search, code interpreter, grounding, a search on a model without a price per search). */
  serverToolFeePicos: Picos;
  /** The input counted for an explicit Gemini cache a request names (`cachedContent`) whose creation's row is not found in time. */
  geminiCacheTokens: number;
  /** How long admission waits for a follow-up's previous response's row (or a Gemini cache's) before it counts `responsesContextTokens` (`geminiCacheTokens`). Not a config setting: tests shorten it. */
  responseLookupMs?: number;
  /** A reservation not settled within this time (a crashed replica) is released. */
  leaseMs: number;
  /** Prefix of every counter key. */
  keyPrefix: string;
  /** How often counters are compared with the ledger (the reconciliation job). */
  reconcileMs: number;
  /** The gateway's address as its users reach it (`alerts.public_url`): refusals name it in the increase command. */
  publicUrl?: string;
  /** How a request's settlement is retried (DEFAULT_SETTLE_RETRY when unset). Not a config setting: tests shorten it. */
  settleRetry?: SettleRetry;
}

export const DEFAULT_POLICY_SETTINGS: PolicySettings = {
  timeZone: 'UTC',
  showAmounts: true,
  inputCounting: 'conservative',
  defaultMaxOutputTokens: 8192,
  responsesContextTokens: 128_000,
  serverToolUses: DEFAULT_SERVER_TOOLS.uses,
  serverToolResultTokens: DEFAULT_SERVER_TOOLS.resultTokens,
  serverToolFeePicos: DEFAULT_SERVER_TOOL_FEE,
  geminiCacheTokens: GEMINI_CACHE_TOKENS,
  leaseMs: 30 * 60_000,
  keyPrefix: '{tg}:',
  reconcileMs: 5 * 60_000,
};
