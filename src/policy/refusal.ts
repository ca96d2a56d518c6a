import { DateTime } from 'luxon';
import { GatewayError } from '../core/errors.js';
import { type Picos, formatUsd, usdColumn } from '../core/money.js';
import { BEYOND_ANY_LIMIT } from './estimate.js';
import type { Budget, ModelPolicy, RateLimit } from './rules.js';
import { formatScope } from './scope.js';
import { describeWindow, formatWindow } from './window.js';

/** What refusal messages may reveal: dollar amounts, or only percentages. */
export interface Disclosure {
  showAmounts: boolean;
  timeZone: string;
  /** The gateway's address as its users reach it (`alerts.public_url`), for the increase command; a placeholder when unset. */
  publicUrl?: string;
}

/** Amounts said together on one scale: "$0.05 of $0.05" for $0.04635 of $0.05 read as no room at all. */
function amounts(...ps: Picos[]): (p: Picos) => string {
  const show = usdColumn(ps.map((p) => (p < 0n ? 0n : p)));
  return (p) => show(p < 0n ? 0n : p);
}

function upperFirst(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function percent(level: Picos, limit: Picos): number {
  return limit <= 0n ? 100 : Number((level * 100n) / limit);
}

export function localTime(ms: number, tz: string): string {
  return DateTime.fromMillis(ms, { zone: tz }).toISO({ suppressMilliseconds: true }) ?? new Date(ms).toISOString();
}

/**
 * The increase request as a developer can run it anywhere: the CLI reaches the gateway only
 * with a key (`--key`, or TOLLGATE_KEY) and the gateway's address (`--url`, else the config's
 * server host and port, 127.0.0.1:8790); without a key it writes into a local ledger instead.
 */
export function increaseCommand(scope: string, publicUrl: string | undefined): string {
  return `tollgate budgets request --url ${publicUrl ?? '<gateway URL>'} --key <your tg_ key> --scope ${scope} --amount <USD> --hours <N> --reason "..."`;
}

/** The increase an admin files, straight into the gateway's ledger (on its host, or with its --config). */
export function adminIncreaseCommand(scope: string): string {
  return `tollgate budgets request --scope ${scope} --amount <USD> --hours <N> --reason "..."`;
}

/** A developer's key may ask for more only on its own key, user, team or project (POST /admin/v1/me/increases); other budgets are an admin's to raise. */
function ownScope(b: Budget): boolean {
  return b.scope.kind === 'key' || b.scope.kind === 'user' || b.scope.kind === 'team' || b.scope.kind === 'project';
}

function remedyFor(b: Budget, d: Disclosure): string {
  const scope = formatScope(b.scope);
  if (!ownScope(b)) return `ask an admin for an increase on ${scope}, which a developer's key cannot ask for (\`${adminIncreaseCommand(scope)}\`)`;
  return `ask for an increase with \`${increaseCommand(scope, d.publicUrl)}\` (or POST /admin/v1/me/increases with your key)`;
}

/** 402 budget_exceeded: names the budget, its window, when it resets (`resetsAt`: a rolling window's, when what it counts has aged out) and what to do. */
/** A request's estimate, for saying what in it is large: its input's tokens (how many for media) and what the input alone may cost. */
export interface NeedParts {
  inputTokens: number;
  mediaTokens?: number;
  media?: number;
  referencedTokens?: number;
  /** The previous response whose ledger row gave `referencedTokens`; null when they are the setting's. */
  referencedFrom?: string | null;
  /** See Estimate.referencedBy. */
  referencedBy?: 'previous_interaction_id';
  /** Server-side tools: their uses, their results' tokens (part of `inputTokens`), and the searches among the uses (estimate.ts). */
  serverToolUses?: number;
  serverToolTokens?: number;
  webSearches?: number;
  /** Of the tools' uses, those counted at `toolFee` (`policy.server_tool_fee_usd`) for a fee the price catalog does not give. */
  feeAllowanceUses?: number;
  toolFee?: Picos;
  /** An explicit Gemini cache's tokens (part of `inputTokens`), and the cache whose creation gave them (null: the setting's). */
  cachedTokens?: number;
  cachedFrom?: string | null;
  inputCost: Picos;
  /** The output of all the answers the request asks for, and how many when more than one. */
  outputTokens?: number;
  choices?: number;
}

/** What the refusal says is large, when it is the input (at least half of the estimate): the input's size, and whether media make most of it. */
function largeInput(need: Picos, parts: NeedParts | undefined): { says: string; remedy: string } | undefined {
  if (!parts || need >= BEYOND_ANY_LIMIT || parts.inputCost * 2n < need) return undefined;
  const tokens = Math.ceil(parts.inputTokens).toLocaleString('en-US');
  const media = parts.mediaTokens ?? 0;
  if (parts.media && media * 2 >= parts.inputTokens) {
    const what = parts.media === 1 ? 'its image or document' : `its ${parts.media} images and documents`;
    return { says: `Its input is what is large: about ${tokens} tokens, most of them (${Math.ceil(media).toLocaleString('en-US')}) for ${what}`, remedy: 'send fewer or smaller images or documents' };
  }
  if (parts.referencedTokens && parts.referencedTokens * 2 >= parts.inputTokens) {
    const referenced = parts.referencedTokens.toLocaleString('en-US');
    const interaction = parts.referencedBy === 'previous_interaction_id';
    const what = interaction ? 'interaction' : 'response';
    const why = parts.referencedFrom
      ? `for the stored ${what} it continues (\`${interaction ? 'previous_interaction_id' : 'previous_response_id'}\` ${parts.referencedFrom}: that ${what}'s own input and output tokens, as the ledger has them), which is billed as input`
      : interaction
        ? 'allowed for the stored interaction it continues (`previous_interaction_id`), which is billed as input and whose size is not known (`policy.responses_context_tokens`)'
        : 'allowed for the stored response or conversation it continues (`previous_response_id`, `conversation`), which is billed as input and whose size is not known (`policy.responses_context_tokens`)';
    return { says: `Its input is what is large: about ${tokens} tokens, most of them (${referenced}) ${why}`, remedy: 'start a new conversation' };
  }
  return declaredInput(parts, tokens) ?? { says: `Its input is what is large: about ${tokens} tokens counted from the request body`, remedy: 'shorten the input (fewer or shorter messages, files or tool results)' };
}

/** What the refusal says when most of the input is what the request declares beyond its body: a Gemini cache, server-side tools' results. */
function declaredInput(parts: NeedParts, tokens: string): { says: string; remedy: string } | undefined {
  const n = (x: number) => x.toLocaleString('en-US');
  if (parts.cachedTokens && parts.cachedTokens * 2 >= parts.inputTokens) {
    const why = parts.cachedFrom ? `for the cache it names (\`cachedContent\` ${parts.cachedFrom}), as the gateway saw it made` : 'allowed for the cache it names (`cachedContent`), whose size the gateway does not know (`policy.gemini_cache_tokens`)';
    return { says: `Its input is what is large: about ${tokens} tokens, most of them (${n(parts.cachedTokens)}) ${why}, billed as cache reads`, remedy: 'use a smaller cache' };
  }
  if (parts.serverToolTokens && parts.serverToolUses && parts.serverToolTokens * 2 >= parts.inputTokens) {
    const searches = parts.webSearches ? `, ${n(parts.webSearches)} of them web searches billed by the search` : '';
    return { says: `Its input is what is large: about ${tokens} tokens, most of them (${n(parts.serverToolTokens)}) for the results of the ${n(parts.serverToolUses)} uses counted for its server-side tools${searches}`, remedy: "lower the tools' limit on uses (`max_uses`, `max_tool_calls`)" };
  }
  return undefined;
}

/** The details of the input counted for stored context: how much, and whether from the previous response's row or the setting. */
function referenced(parts: NeedParts): Record<string, unknown> {
  if (parts.referencedTokens === undefined) return {};
  const from = parts.referencedFrom ? { request_referenced_from: 'ledger', request_previous_response_id: parts.referencedFrom } : { request_referenced_from: 'setting' };
  return { request_referenced_tokens: parts.referencedTokens, ...from };
}

/** The details of what was counted beyond the body: server-side tools, a Gemini cache (from its creation's row, or the setting). */
function declared(parts: NeedParts): Record<string, unknown> {
  const tools = parts.serverToolUses === undefined ? {} : { request_server_tool_uses: parts.serverToolUses, request_server_tool_tokens: parts.serverToolTokens, request_web_searches: parts.webSearches ?? 0, request_tool_fee_uses: parts.feeAllowanceUses ?? 0 };
  if (parts.cachedTokens === undefined) return tools;
  return { ...tools, request_cached_tokens: parts.cachedTokens, ...(parts.cachedFrom ? { request_cached_from: 'ledger', request_cache: parts.cachedFrom } : { request_cached_from: 'setting' }) };
}

/** What the refusal says is large when it is the fees of server-side tools the price catalog does not price, counted at `policy.server_tool_fee_usd` (at least half of the estimate). */
function toolFees(need: Picos, parts: NeedParts | undefined, showAmounts: boolean): { says: string; remedy: string } | undefined {
  const uses = parts?.feeAllowanceUses ?? 0;
  const fee = parts?.toolFee ?? 0n;
  if (uses === 0 || fee === 0n || need >= BEYOND_ANY_LIMIT || BigInt(uses) * fee * 2n < need) return undefined;
  const each = showAmounts ? ` at $${formatUsd(fee)} each` : '';
  const count = uses.toLocaleString('en-US');
  return {
    says: `Its server-side tools are what is large: ${count} ${uses === 1 ? 'use' : 'uses'} of tools billed by the use at fees the price catalog does not give (file search, code interpreter or execution, grounding, or a search on a model without a price per search), counted${each} as \`policy.server_tool_fee_usd\` allows`,
    remedy: "lower the tools' limit on uses (`max_uses`, `max_tool_calls`)",
  };
}

/** What the refusal says is large when the request asks for several answers, each of which may run to the output cap (and is billed). */
function manyChoices(parts: NeedParts | undefined): { says: string; remedy: string } | undefined {
  if (!parts?.choices || parts.choices <= 1 || parts.outputTokens === undefined) return undefined;
  const each = Math.ceil(parts.outputTokens / parts.choices);
  const all = Number.isSafeInteger(parts.outputTokens) ? `: ${parts.outputTokens.toLocaleString('en-US')} in all` : '';
  return {
    says: `It asks for ${parts.choices.toLocaleString('en-US')} choices (\`n\`, \`best_of\` or \`candidateCount\`), each billed and each up to ${each.toLocaleString('en-US')} output tokens${all}`,
    remedy: 'ask for fewer choices or lower the maximum output tokens',
  };
}

/** A budget or pool as messages name it: "the daily budget for user:alice", "the monthly pool "Platform" (platform-pool) for team:platform". */
export function describeBudget(b: Budget): string {
  // A pool is named by its id too: other budgets draw on it by that id, and its scope may look like a budget's.
  const named = b.kind === 'pool' ? `${b.name ? ` "${b.name}" (${b.id})` : ` ${b.id}`}` : b.name ? ` "${b.name}"` : '';
  return `the ${describeWindow(b.window)} ${b.kind === 'pool' ? 'pool' : 'budget'}${named} for ${formatScope(b.scope)}`;
}

/**
 * `b` is what refused: a budget, or the pool of `member`, a budget that had no room and whose pool
 * had none either. The scope, reset, amounts and remedy are then the pool's.
 */
export function budgetExceeded(b: Budget, level: Picos, limit: Picos, need: Picos, resetsAt: number, d: Disclosure, of: 'request' | 'batch' = 'request', parts?: NeedParts, member?: Budget): GatewayError {
  const scope = formatScope(b.scope);
  const what = describeBudget(b);
  const alone = need > limit;
  // An estimate too large to count (a huge max_tokens) has no amount to say.
  const beyond = need >= BEYOND_ANY_LIMIT;
  const money = amounts(level, limit, ...(beyond ? [] : [need]));
  const cost = beyond ? `more than can be counted (${of === 'batch' ? "its requests' maximum output tokens are" : parts?.choices ? 'its maximum output tokens times its choices are' : 'its maximum output tokens are'} too large)` : `up to ${money(need)}${of === 'batch' ? ' at the batch price' : ''}`;
  const usage = d.showAmounts
    ? `${money(level)} of ${money(limit)} is spent or held by requests in flight, and this ${of} could cost ${cost}`
    : `${percent(level, limit)}% of it is used`;
  const lead = alone ? `This ${of} could cost more than ${what} allows in total` : `Budget exceeded: ${what} has no room for this ${of}`;
  // max_tokens, max_output_tokens, maxOutputTokens: each dialect names it its own way.
  const large = toolFees(need, parts, d.showAmounts) ?? largeInput(need, parts) ?? manyChoices(parts);
  const lower = of === 'batch' ? "split the batch or lower its requests' maximum output tokens" : (large?.remedy ?? 'lower the maximum output tokens');
  // A rolling window never resets: its spend ages out bucket by bucket, the last of it at resetsAt.
  const at = localTime(resetsAt, d.timeZone);
  const [when, wait] = b.window.kind === 'rolling' ? [`Its spend leaves this rolling window as it ages, all that it counts now by ${at}`, 'wait'] : [`It resets at ${at}`, 'wait for the reset'];
  const drawn = member ? ` ${upperFirst(describeBudget(member))}, which draws on it, has no room either.` : '';
  const message = `${lead} (${usage}).${drawn}${large ? ` ${large.says}.` : ''} ${when}. To go on, ${lower}, ${wait}, or ${remedyFor(b, d)}.`;
  const details: Record<string, unknown> = {
    budget_id: b.id,
    scope,
    window: formatWindow(b.window),
    resets_at: new Date(resetsAt).toISOString(),
    remedy: ownScope(b) ? increaseCommand(scope, d.publicUrl) : adminIncreaseCommand(scope),
  };
  if (b.kind === 'pool') Object.assign(details, { kind: 'pool', ...(member ? { member_budget_id: member.id, member_scope: formatScope(member.scope) } : {}) });
  if (parts) Object.assign(details, { request_input_tokens: Math.ceil(parts.inputTokens), ...(parts.mediaTokens === undefined ? {} : { request_media_tokens: Math.ceil(parts.mediaTokens) }), ...referenced(parts), ...declared(parts) });
  if (parts?.choices !== undefined && parts.choices > 1) details.request_choices = parts.choices;
  if (d.showAmounts) Object.assign(details, { limit_usd: formatUsd(limit), used_usd: formatUsd(level < 0n ? 0n : level), ...(beyond ? {} : { request_estimate_usd: formatUsd(need) }) });
  // The SDKs would not retry a 402 anyway; x-should-retry says so explicitly.
  return new GatewayError('budget_exceeded', message, { details, headers: { 'x-should-retry': 'false' } });
}

/** 429 rate_limited with retry-after (seconds) and retry-after-ms. */
export function rateLimited(r: RateLimit, kind: 'rpm' | 'tpm' | 'concurrency', waitMs: number): GatewayError {
  const scope = formatScope(r.scope);
  const what = kind === 'rpm' ? `${r.rpm} requests per minute` : kind === 'tpm' ? `${r.tpm} tokens per minute` : `${r.concurrency} requests at once`;
  const details: Record<string, unknown> = { rate_limit_id: r.id, scope, limit: kind };
  if (!Number.isFinite(waitMs)) {
    const message = `Rate limit: ${scope} allows ${what}, and this request alone needs more. Lower max_tokens or split the request.`;
    return new GatewayError('rate_limited', message, { details, headers: { 'x-should-retry': 'false' } });
  }
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  const message = `Rate limit: ${scope} allows ${what}; retry after ${seconds} s.`;
  return new GatewayError('rate_limited', message, { details: { ...details, retry_after_ms: Math.ceil(waitMs) }, headers: { 'retry-after': String(seconds), 'retry-after-ms': String(Math.ceil(waitMs)) } });
}

/** 403 model_not_allowed. */
export function modelNotAllowed(p: ModelPolicy, model: string, reason: string): GatewayError {
  const scope = formatScope(p.scope);
  const message = `Model ${model} is not allowed for ${scope}: ${reason}. Use an allowed model, or ask an admin to change the model policy ${p.name ? `"${p.name}"` : p.id}.`;
  return new GatewayError('model_not_allowed', message, { details: { policy_id: p.id, scope, model }, headers: { 'x-should-retry': 'false' } });
}

/** 503 when the shared counters are down and a rule says fail closed. */
export function countersDown(ruleId: string, scope: string): GatewayError {
  const message = `Spend controls are unavailable (the shared counter store cannot be reached) and the rule for ${scope} is set to fail closed, so the request was not sent. Retry shortly.`;
  return new GatewayError('budget_unavailable', message, { details: { rule_id: ruleId, scope }, headers: { 'retry-after': '5' } });
}
