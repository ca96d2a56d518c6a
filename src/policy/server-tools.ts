import { type Picos, usd } from '../core/money.js';

/**
 * The server-side tools a request declares, which the provider runs and bills on its own side: their
 * results come back into the request's input, and some are billed by the use (Anthropic's and the
 * Responses API's web search, per search), others by the use at a fee the price catalog does not
 * give (file search, code interpreter and code execution containers, Gemini's grounding). A budget's
 * estimate counts them (estimate.ts); the body alone does not say how often a tool runs, so each
 * counts its own limit where its API has one, else `policy.server_tool_uses`. Pure.
 */

/** `policy.server_tool_uses` and `policy.server_tool_result_tokens`. */
export interface ServerToolAllowance {
  /** Uses counted for a tool whose request sets no limit. */
  uses: number;
  /** Input tokens counted for each use's result, where the request does not bound them. */
  resultTokens: number;
}

/** The defaults of `policy.server_tool_uses` and `policy.server_tool_result_tokens`: allowances, not bounds (docs/budgets.md). */
export const DEFAULT_SERVER_TOOLS: ServerToolAllowance = Object.freeze({ uses: 5, resultTokens: 10_000 });

/**
 * The default of `policy.server_tool_fee_usd`, counted for each use of a server-side tool whose fee
 * the price catalog does not give: the dearest of those fees published, Gemini's grounding at $35 per
 * 1,000 grounded prompts (a code interpreter's 1 GB container is $0.03, a file search $0.0025, a web
 * search $0.01 to $0.025, an Anthropic code execution container $0.05 an hour). An allowance: a larger
 * container costs more.
 */
export const DEFAULT_SERVER_TOOL_FEE: Picos = usd('0.035');

/** What a request's server-side tools are counted as. */
export interface ServerToolCount {
  /** Uses of every server-side tool the request declares. */
  uses: number;
  /** Of `uses`, those of a web search the provider bills by the search (priced at the model's price per search). */
  webSearches: number;
  /** Of `uses`, those of a tool billed by the use at a fee no price in the catalog gives (counted at `policy.server_tool_fee_usd`). */
  feeUses: number;
  /** The input their results add. */
  resultTokens: number;
}

interface Declared {
  /** A web search billed by the search (the ledger prices it: Anthropic's `server_tool_use`, a Response's `tool_usage`). */
  search: boolean;
  /** Billed by the use (a call, a container, a grounded prompt) at a fee the catalog does not price. */
  fee: boolean;
  /** The request's own limit on its uses, if its API has one. */
  maxUses: number | undefined;
  /** The request's own bound on each use's result (Anthropic web fetch's `max_content_tokens`). */
  resultTokens: number | undefined;
}

/** Anthropic's versioned server tools: `web_search_20250305`, `web_fetch_20250910`, `code_execution_20250825` (billed by container hours). */
const ANTHROPIC = /^(web_search|web_fetch|code_execution)_\d{8}$/;
/** The Responses API's built-in tools: `web_search`, `web_search_preview`, their dated versions, `file_search`, `code_interpreter`. */
const RESPONSES_SEARCH = /^web_search(_preview)?(_\d{4}_\d{2}_\d{2})?$/;
/** Billed by the call (file search) and by the container (code interpreter). */
const RESPONSES_OTHER = new Set(['file_search', 'code_interpreter']);
/**
 * Gemini's, by their key in a `tools` entry (REST camelCase or proto snake_case). Grounding is billed
 * per prompt (or search query) past a free allowance, which the ledger does not price (docs/pricing.md);
 * URL context and code execution cost their tokens alone.
 */
const GEMINI = ['googleSearch', 'google_search', 'googleSearchRetrieval', 'google_search_retrieval', 'urlContext', 'url_context', 'codeExecution', 'code_execution'];
const GEMINI_GROUNDING = new Set(['googleSearch', 'google_search', 'googleSearchRetrieval', 'google_search_retrieval']);

/** A positive count the request sets, rounded up; undefined for anything else. Past 2^53 it stays past it: the estimate counts as beyond any limit. */
function limit(v: unknown): number | undefined {
  return typeof v === 'number' && v > 0 ? Math.ceil(Math.min(v, Number.MAX_VALUE)) : undefined;
}

function declared(tool: unknown): Declared[] {
  if (typeof tool !== 'object' || tool === null || Array.isArray(tool)) return [];
  const t = tool as Record<string, unknown>;
  if (typeof t.type === 'string') {
    const a = ANTHROPIC.exec(t.type);
    if (a) return [{ search: a[1] === 'web_search', fee: a[1] === 'code_execution', maxUses: limit(t.max_uses), resultTokens: a[1] === 'web_fetch' ? limit(t.max_content_tokens) : undefined }];
    if (RESPONSES_SEARCH.test(t.type)) return [{ search: true, fee: false, maxUses: undefined, resultTokens: undefined }];
    if (RESPONSES_OTHER.has(t.type)) return [{ search: false, fee: true, maxUses: undefined, resultTokens: undefined }];
    return [];
  }
  return GEMINI.filter((k) => t[k] !== undefined && t[k] !== null).map((k) => ({ search: false, fee: GEMINI_GROUNDING.has(k), maxUses: undefined, resultTokens: undefined }));
}

/**
 * The server-side tools `json` declares (its `tools`), counted: each at its request's limit on uses
 * (Anthropic's `max_uses`; the Responses API's `max_tool_calls`, which bounds all of its built-in
 * tools' calls together) or `allow.uses`, each use's result at its request's bound (web fetch's
 * `max_content_tokens`) or `allow.resultTokens`. Undefined when it declares none: the usual case
 * costs one look at `tools`. With `max_tool_calls` every call may be a search or a tool with a fee.
 */
export function serverTools(json: unknown, allow: ServerToolAllowance): ServerToolCount | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const body = json as Record<string, unknown>;
  if (!Array.isArray(body.tools)) return undefined;
  const tools = body.tools.flatMap(declared);
  if (tools.length === 0) return undefined;
  const perUse = (t: Declared) => t.resultTokens ?? allow.resultTokens;
  const calls = limit(body.max_tool_calls);
  if (calls !== undefined && tools.every((t) => t.maxUses === undefined)) {
    // Any of the calls may be the tool that costs most: a search or a tool with a fee (each counted as both), with the largest result.
    return { uses: calls, webSearches: tools.some((t) => t.search) ? calls : 0, feeUses: tools.some((t) => t.fee) ? calls : 0, resultTokens: calls * Math.max(...tools.map(perUse)) };
  }
  let uses = 0;
  let webSearches = 0;
  let feeUses = 0;
  let resultTokens = 0;
  for (const t of tools) {
    const n = t.maxUses ?? allow.uses;
    uses += n;
    if (t.search) webSearches += n;
    if (t.fee) feeUses += n;
    resultTokens += n * perUse(t);
  }
  return { uses, webSearches, feeUses, resultTokens };
}
