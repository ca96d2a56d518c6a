import { ALERT_TYPE_NAMES, DEFAULT_POST_TIMEOUT_SECONDS, DEFAULT_RETRY_HOURS } from '../alerts/defaults.js';
import { closest } from '../core/closest.js';
import { compileGlobs } from '../core/glob.js';
import type { ConfigRules } from '../policy/rule-book.js';
import { toBudget, toModelPolicy, toRateLimit } from '../policy/rule-input.js';
import { DEFAULT_POLICY_SETTINGS, type PolicySettings } from '../policy/settings.js';
import type { AlertsConfig } from './config.js';
import type { ConfigIssue } from './errors.js';
import type { ConfigFile } from './schema.js';

/** Config rules are not created at any moment in particular. */
const CONFIG_CREATED_AT = 0;

export function policySettings(f: ConfigFile): PolicySettings {
  const p = f.policy ?? {};
  return {
    ...DEFAULT_POLICY_SETTINGS,
    timeZone: p.time_zone ?? DEFAULT_POLICY_SETTINGS.timeZone,
    showAmounts: p.show_amounts ?? DEFAULT_POLICY_SETTINGS.showAmounts,
    inputCounting: p.input_counting ?? DEFAULT_POLICY_SETTINGS.inputCounting,
    defaultMaxOutputTokens: p.default_max_output_tokens ?? DEFAULT_POLICY_SETTINGS.defaultMaxOutputTokens,
    responsesContextTokens: p.responses_context_tokens ?? DEFAULT_POLICY_SETTINGS.responsesContextTokens,
    serverToolUses: p.server_tool_uses ?? DEFAULT_POLICY_SETTINGS.serverToolUses,
    serverToolResultTokens: p.server_tool_result_tokens ?? DEFAULT_POLICY_SETTINGS.serverToolResultTokens,
    serverToolFeePicos: p.server_tool_fee_usd ?? DEFAULT_POLICY_SETTINGS.serverToolFeePicos,
    geminiCacheTokens: p.gemini_cache_tokens ?? DEFAULT_POLICY_SETTINGS.geminiCacheTokens,
    leaseMs: p.lease_minutes === undefined ? DEFAULT_POLICY_SETTINGS.leaseMs : Math.round(p.lease_minutes * 60_000),
    reconcileMs: p.reconcile_minutes === undefined ? DEFAULT_POLICY_SETTINGS.reconcileMs : Math.round(p.reconcile_minutes * 60_000),
    // Inside the hash tag: a deployment's keys still share one Redis Cluster slot, and no other deployment's.
    keyPrefix: f.redis_namespace === undefined ? DEFAULT_POLICY_SETTINGS.keyPrefix : `{tg:${f.redis_namespace}}:`,
    ...(f.alerts?.public_url === undefined ? {} : { publicUrl: f.alerts.public_url.replace(/\/+$/, '') }),
  };
}

export function configRules(f: ConfigFile): ConfigRules {
  return {
    budgets: [...(f.budgets ?? []).map((b) => toBudget(b, 'budget', 'config', CONFIG_CREATED_AT)), ...(f.pools ?? []).map((p) => toBudget(p, 'pool', 'config', CONFIG_CREATED_AT))],
    rateLimits: (f.rate_limits ?? []).map((r) => toRateLimit(r, 'config', CONFIG_CREATED_AT)),
    modelPolicies: (f.model_policies ?? []).map((p) => toModelPolicy(p, 'config', CONFIG_CREATED_AT)),
  };
}

export function alertsConfig(f: ConfigFile): AlertsConfig {
  const a = f.alerts ?? {};
  return {
    webhooks: (a.webhooks ?? []).map((w) => ({ url: w.url, events: w.events, headers: Object.fromEntries(Object.entries(w.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])) })),
    publicUrl: a.public_url?.replace(/\/+$/, ''),
    signingSecret: a.signing_secret,
    retryHours: a.retry_hours ?? DEFAULT_RETRY_HOURS,
    timeoutSeconds: a.timeout_seconds ?? DEFAULT_POST_TIMEOUT_SECONDS,
  };
}

type LineOf = (path: (string | number)[]) => number | undefined;

interface Entry {
  id: string;
  path: [string, number];
  /** Whether the file gave the id, or it was derived from the scope (and window). */
  explicit: boolean;
}

function entries<T extends { id?: string }>(section: string, items: readonly T[] | undefined, idOf: (item: T) => string): Entry[] {
  return (items ?? []).map((item, i) => ({ id: idOf(item), path: [section, i], explicit: item.id !== undefined }));
}

/**
 * Ids must be unique per kind of rule (budgets and pools share one namespace). An id left
 * out is derived from the scope and window, so two rules on the same scope collide too.
 * A budget's `pool` may name a pool made with the API, so only a config budget there is wrong.
 */
export function policyChecks(f: ConfigFile, line: LineOf): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const namespaces = [
    [...entries('budgets', f.budgets, (b) => toBudget(b, 'budget', 'config', 0).id), ...entries('pools', f.pools, (p) => toBudget(p, 'pool', 'config', 0).id)],
    entries('rate_limits', f.rate_limits, (r) => toRateLimit(r, 'config', 0).id),
    entries('model_policies', f.model_policies, (p) => toModelPolicy(p, 'config', 0).id),
  ];
  for (const list of namespaces) {
    list.forEach((e, i) => {
      const first = list.findIndex((x) => x.id === e.id);
      if (first === i) return;
      const where = `${e.path[0]}[${e.path[1]}]`;
      const other = `${list[first]!.path[0]}[${list[first]!.path[1]}]`;
      if (e.explicit) issues.push({ path: `${where}.id`, line: line([...e.path, 'id']), message: `"${e.id}" is already used by ${other}` });
      else issues.push({ path: where, line: line(e.path), message: `has the same id "${e.id}" as ${other} (derived from the scope${e.path[0] === 'budgets' || e.path[0] === 'pools' ? ' and window' : ''}); merge them or give one an id` });
    });
  }
  const budgetIds = new Set(entries('budgets', f.budgets, (b) => toBudget(b, 'budget', 'config', 0).id).map((e) => e.id));
  (f.budgets ?? []).forEach((b, i) => {
    if (b.pool !== undefined && budgetIds.has(b.pool)) issues.push({ path: `budgets[${i}].pool`, line: line(['budgets', i, 'pool']), message: `"${b.pool}" is a budget, not a pool (declare it under pools:)` });
  });
  (f.alerts?.webhooks ?? []).forEach((w, i) => issues.push(...eventChecks(w.events ?? [], i, line)));
  if (f.alerts?.signing_secret !== undefined && f.alerts.public_url === undefined) {
    issues.push({ path: 'alerts.signing_secret', line: line(['alerts', 'signing_secret']), message: 'set alerts.public_url too: it is the base of the signed approve/deny and evidence links' });
  }
  return issues;
}

/** A filter that matches no alert type (`budget.refusd`) would drop those alerts without a word. */
function eventChecks(events: readonly string[], i: number, line: LineOf): ConfigIssue[] {
  return events.flatMap((e, j) => {
    if (ALERT_TYPE_NAMES.some(compileGlobs([e]))) return [];
    const near = closest(e, ALERT_TYPE_NAMES);
    const hint = near === undefined ? '.' : `; did you mean "${near}"?`;
    const path = ['alerts', 'webhooks', i, 'events'];
    return [{ path: `alerts.webhooks[${i}].events[${j}]`, line: line([...path, j]) ?? line(path), message: `"${e}" matches no alert type${hint} Types: ${ALERT_TYPE_NAMES.join(', ')} (or a glob such as budget.*)` }];
  });
}
