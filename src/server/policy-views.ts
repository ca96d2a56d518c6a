import { increaseJson } from '../alerts/events.js';
import { iso } from '../alerts/format.js';
import { formatUsd } from '../core/money.js';
import type { AuditEntry, Budget, ModelPolicy, RateLimit } from '../policy/rules.js';
import { formatScope } from '../policy/scope.js';
import { formatWindow } from '../policy/window.js';

/**
 * Rules, increases and audit entries as the admin API and `--json` print them: snake_case,
 * money as exact decimal USD strings, times as ISO text.
 */

export function budgetView(b: Budget, pools?: ReadonlySet<string>): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: b.id,
    kind: b.kind,
    name: b.name,
    scope: formatScope(b.scope),
    window: formatWindow(b.window),
    limit_usd: formatUsd(b.limitPicos),
    thresholds: b.thresholds,
    fail: b.fail,
  };
  if (b.kind === 'budget') {
    view.pool = b.pool;
    view.downgrade = b.downgrade ? { at_percent: b.downgrade.atPercent, to: b.downgrade.to } : null;
    view.enforce_max_tokens = b.enforceMaxTokens;
  }
  view.source = b.source;
  view.created_at = b.source === 'config' ? null : iso(b.createdAt);
  // A pool may be created after the budgets that name it, so a missing one is a warning only.
  if (pools && b.pool !== null && !pools.has(b.pool)) view.warnings = [`pool "${b.pool}" does not exist: the budget cannot draw on it until it is created`];
  return view;
}

export function rateLimitView(r: RateLimit): Record<string, unknown> {
  return { id: r.id, name: r.name, scope: formatScope(r.scope), rpm: r.rpm, tpm: r.tpm, concurrency: r.concurrency, fail: r.fail, source: r.source, created_at: r.source === 'config' ? null : iso(r.createdAt) };
}

export function modelPolicyView(p: ModelPolicy): Record<string, unknown> {
  return {
    id: p.id,
    name: p.name,
    scope: formatScope(p.scope),
    allow: p.allow,
    deny: p.deny,
    rewrite: p.rewrites.map((r) => ({ from: r.from, to: r.to })),
    allow_keep: p.allowKeep,
    source: p.source,
    created_at: p.source === 'config' ? null : iso(p.createdAt),
  };
}

export type IncreaseJson = ReturnType<typeof increaseView>;

export const increaseView = increaseJson;

export function auditView(e: AuditEntry) {
  return { id: e.id, ts: iso(e.ts), actor: e.actor, action: e.action, ...readable(e.subject, e.details, e.action) };
}

const OLD_ALERT_SUBJECT: Record<string, RegExp> = { 'budget.threshold': /^threshold:(.+):(\d+):(\d+):(\d+)$/, 'budget.refused': /^refused:(.+):(\d+):(\d+)(?::(oversized))?$/ };

/**
 * Entries written before money in the audit log was decimal USD, shown as new ones are:
 * `amount_picos` as `amount_usd`, and a budget alert's claim key (`refused:<id>:<window start
 * ms>:<limit picos>`) as its budget with the window start and limit in the details.
 */
function readable(subject: string, details: Record<string, unknown>, action: string): { subject: string; details: Record<string, unknown> } {
  const m = OLD_ALERT_SUBJECT[action]?.exec(subject);
  const converted = Object.fromEntries(
    Object.entries(details).map(([k, v]) => (k.endsWith('_picos') && (typeof v === 'string' || typeof v === 'number') && /^-?\d+$/.test(String(v)) ? [`${k.slice(0, -'_picos'.length)}_usd`, formatUsd(BigInt(v))] : [k, v])),
  );
  if (!m || Object.keys(details).length > 0) return { subject, details: converted };
  const [, id, start, limit, last] = m;
  const extra = action === 'budget.threshold' ? { percent: Number(last) } : last === 'oversized' ? { oversized: true } : {};
  return { subject: id!, details: { window_start: iso(Number(start)), limit_usd: formatUsd(BigInt(limit!)), ...extra } };
}
