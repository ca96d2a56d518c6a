import { type Picos, displayUsd, formatUsd, usdColumn } from '../core/money.js';
import { BEYOND_ANY_LIMIT } from '../policy/estimate.js';
import type { Budget, Increase } from '../policy/rules.js';
import { formatScope } from '../policy/scope.js';
import { describeWindow } from '../policy/window.js';
import { ANOMALY_ALERT_TYPES, type AnomalyAlert, describeAnomaly } from './anomaly-alerts.js';
import { chatText, displayTime, iso, percentOf } from './format.js';

/** Which budget an alert is about, and where its window stands. */
export interface BudgetAlert {
  budgetId: string;
  budgetName: string | null;
  /** As written in rules: "team:platform". */
  scope: string;
  /** In words: "daily", "monthly", "rolling 5h". */
  window: string;
  windowStart: number;
  resetsAt: number;
  spentPicos: Picos;
  limitPicos: Picos;
  /** The signed page of where the spend went, when signed links are on. */
  spendUrl?: string;
}

export type AlertEvent =
  | ({ type: 'budget.threshold'; percent: number } & BudgetAlert)
  /** `requestPicos`: what the refused request could cost; more than the limit, it could never fit (the budget need not be spent). */
  | ({ type: 'budget.refused'; requestId: string; user: string | null; keyId: string | null; requestPicos?: Picos } & BudgetAlert)
  | { type: 'increase.requested'; increase: Increase; approveUrl?: string; denyUrl?: string }
  | { type: 'increase.approved' | 'increase.denied' | 'increase.expired'; increase: Increase }
  /** `count`: how many times it happened since the last alert of this kind. */
  | { type: 'counters.fail_open' | 'counters.fail_closed'; message: string; count: number }
  | AnomalyAlert;

export type AlertType = AlertEvent['type'];

const TYPES: Record<AlertType, true> = {
  'budget.threshold': true,
  'budget.refused': true,
  'increase.requested': true,
  'increase.approved': true,
  'increase.denied': true,
  'increase.expired': true,
  'counters.fail_open': true,
  'counters.fail_closed': true,
  ...(Object.fromEntries(ANOMALY_ALERT_TYPES.map((t) => [t, true])) as Record<AnomalyAlert['type'], true>),
};
/** Every alert type, for validating webhook filters. */
export const ALERT_TYPES = Object.keys(TYPES) as readonly AlertType[];

/** Where alerts go. `send` never blocks or throws; `close` waits for deliveries under way. */
export interface AlertSink {
  send(e: AlertEvent): void;
  close(timeoutMs?: number): Promise<void>;
}

/** The budget part of a threshold or refusal alert. */
export function budgetFields(b: Budget): Pick<BudgetAlert, 'budgetId' | 'budgetName' | 'scope' | 'window'> {
  return { budgetId: b.id, budgetName: b.name, scope: formatScope(b.scope), window: describeWindow(b.window) };
}

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A webhook payload: Slack and compatible chat apps show `text`; other receivers read `data`. */
export interface RenderedAlert {
  type: AlertType;
  ts: string;
  text: string;
  data: JsonObject;
}

export interface RenderOptions {
  /** Without it, money is left out of text and data; percentages stay. */
  showAmounts: boolean;
  /** Zone for times in `text` (calendar windows reset at midnight there); UTC when absent. */
  timeZone?: string;
  now?: number;
}

export function renderAlert(e: AlertEvent, opts: RenderOptions): RenderedAlert {
  const { text, data } = describe(e, opts.showAmounts, opts.timeZone ?? 'UTC');
  return { type: e.type, ts: iso(opts.now ?? Date.now()), text, data };
}

function describe(e: AlertEvent, show: boolean, tz: string): { text: string; data: JsonObject } {
  switch (e.type) {
    case 'budget.threshold': {
      const pair = usdColumn([e.spentPicos, e.limitPicos]);
      const amounts = show ? ` (${pair(e.spentPicos)} of ${pair(e.limitPicos)})` : '';
      return {
        text: `Budget ${budgetLabel(e)} reached ${e.percent}%${amounts}; resets ${displayTime(e.resetsAt, tz)}.${whereItWent(e)}`,
        data: { ...budgetData(e, show), percent: e.percent },
      };
    }
    case 'budget.refused': {
      const used = percentOf(e.spentPicos, e.limitPicos);
      // An estimate too large to count (a huge max_tokens) has no amount to say.
      const need = e.requestPicos !== undefined && e.requestPicos < BEYOND_ANY_LIMIT ? e.requestPicos : undefined;
      const pair = usdColumn([e.spentPicos, e.limitPicos, need ?? 0n]);
      const usage = show ? `${pair(e.spentPicos)} of ${pair(e.limitPicos)} used` : `${used}% used`;
      const oversized = e.requestPicos !== undefined && e.requestPicos > e.limitPicos;
      const what = oversized
        ? `refused request ${chatText(e.requestId)} from ${caller(e.user, e.keyId)}: it could cost ${show && need !== undefined ? `up to ${pair(need)}, ` : ''}more than the whole limit (${usage})`
        : `is spent (${usage}): refused request ${chatText(e.requestId)} from ${caller(e.user, e.keyId)}`;
      const data: JsonObject = { ...budgetData(e, show), percent_used: used, request_id: e.requestId, user: e.user, key_id: e.keyId, larger_than_limit: oversized };
      if (show && need !== undefined) data.request_estimate_usd = formatUsd(need);
      return { text: `Budget ${budgetLabel(e)} ${what}; resets ${displayTime(e.resetsAt, tz)}.${whereItWent(e)}`, data };
    }
    case 'increase.requested': {
      const i = e.increase;
      const links = [e.approveUrl && `Approve: ${e.approveUrl}`, e.denyUrl && `Deny: ${e.denyUrl}`].filter(Boolean).join(' · ');
      const data = increaseData(i, show);
      if (e.approveUrl) data.approve_url = e.approveUrl;
      if (e.denyUrl) data.deny_url = e.denyUrl;
      return {
        text: `*${chatText(i.requestedBy)}* asks for ${show ? `${displayUsd(i.amountPicos)} more` : 'more budget'} on ${target(i)} for ${i.hours}h: "${chatText(i.reason)}" (${chatText(i.id)}).${links ? ` ${links}` : ''}`,
        data,
      };
    }
    case 'increase.approved': {
      const i = e.increase;
      const until = i.expiresAt === null ? '' : `, until ${displayTime(i.expiresAt, tz)}`;
      return { text: `Approved by *${chatText(i.decidedBy ?? 'someone')}*: ${increaseLabel(i, show)} for ${i.hours}h${until}.${noteText(i)}`, data: increaseData(i, show) };
    }
    case 'increase.denied': {
      const i = e.increase;
      return { text: `Denied by *${chatText(i.decidedBy ?? 'someone')}*: ${increaseLabel(i, show)} for ${i.hours}h.${noteText(i)}`, data: increaseData(i, show) };
    }
    case 'increase.expired': {
      const i = e.increase;
      const at = i.expiresAt === null ? '' : ` at ${displayTime(i.expiresAt, tz)}`;
      return { text: `Expired: ${increaseLabel(i, show)} ended${at}; the limit is back to normal.`, data: increaseData(i, show) };
    }
    case 'counters.fail_open':
    case 'counters.fail_closed': {
      const effect = e.type === 'counters.fail_open' ? 'requests are admitted without budget checks (fail open)' : 'requests under budgets are refused (fail closed)';
      return {
        text: `*Budget counters are unreachable*: ${effect}; ${e.count} time${e.count === 1 ? '' : 's'} since the last alert. Error: ${chatText(e.message)}`,
        data: { message: e.message, count: e.count },
      };
    }
    case 'anomaly.spend_spike':
    case 'anomaly.runaway_session':
    case 'anomaly.agent_loop':
    case 'anomaly.retry_storm':
    case 'anomaly.cache_regression':
      return describeAnomaly(e, show, tz);
  }
}

function budgetLabel(b: BudgetAlert): string {
  const where = `${chatText(b.scope)} ${b.window}`;
  return b.budgetName ? `*${chatText(b.budgetName)}* (${where})` : `*${where}*`;
}

function budgetData(b: BudgetAlert, show: boolean): JsonObject {
  const data: JsonObject = {
    budget_id: b.budgetId,
    budget_name: b.budgetName,
    scope: b.scope,
    window: b.window,
    window_start: iso(b.windowStart),
    resets_at: iso(b.resetsAt),
  };
  if (show) Object.assign(data, { spent_usd: formatUsd(b.spentPicos), limit_usd: formatUsd(b.limitPicos) });
  if (b.spendUrl) data.spend_url = b.spendUrl;
  return data;
}

function whereItWent(b: BudgetAlert): string {
  return b.spendUrl ? ` Where it went: ${b.spendUrl}` : '';
}

function caller(user: string | null, keyId: string | null): string {
  if (user && keyId) return `*${chatText(user)}* (key ${chatText(keyId)})`;
  if (user) return `*${chatText(user)}*`;
  return keyId ? `key ${chatText(keyId)}` : 'an anonymous caller';
}

function target(i: Increase): string {
  const scope = `*${chatText(formatScope(i.scope))}*`;
  return i.budgetId ? `${scope} (budget ${chatText(i.budgetId)} only)` : scope;
}

function increaseLabel(i: Increase, show: boolean): string {
  const amount = show ? ` of ${displayUsd(i.amountPicos)}` : '';
  return `*${chatText(i.requestedBy)}*'s increase${amount} on ${target(i)} (${chatText(i.id)})`;
}

function noteText(i: Increase): string {
  return i.note ? ` Note: "${chatText(i.note)}"` : '';
}

/** An increase as JSON, as the admin API shows it (amounts included). */
export function increaseJson(i: Increase) {
  return {
    id: i.id,
    scope: formatScope(i.scope),
    budget_id: i.budgetId,
    amount_usd: formatUsd(i.amountPicos),
    hours: i.hours,
    reason: i.reason,
    requested_by: i.requestedBy,
    status: i.status,
    created_at: iso(i.createdAt),
    decided_at: iso(i.decidedAt),
    decided_by: i.decidedBy,
    note: i.note,
    expires_at: iso(i.expiresAt),
  };
}

/** An increase in an alert payload: amounts only when shown. */
function increaseData(i: Increase, show: boolean): JsonObject {
  const { amount_usd, ...rest } = increaseJson(i);
  return show ? { ...rest, amount_usd } : rest;
}
