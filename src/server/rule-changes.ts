import { newRequestId } from '../core/ids.js';
import { type Budget, type ModelPolicy, type RateLimit, ruleSubject } from '../policy/rules.js';
import type { PolicyStore } from '../storage/ports.js';
import { budgetView, modelPolicyView, rateLimitView } from './policy-views.js';

/**
 * Changes to stored rules, shared by the admin API and the CLI: rules from the config file
 * are read-only, every change is audited, and setting a rule again keeps its creation time.
 */
export interface ChangeContext {
  store: PolicyStore;
  isConfigRule(id: string): boolean;
  /** The config file, to point people at it. */
  configFile: string | undefined;
  actor: string;
  now(): number;
}

/** A change that clashes with what exists (a config rule, a pool where a budget was meant, a decided increase): 409. */
export class Conflict extends Error {
  override readonly name = 'Conflict';
}

export class NotFound extends Error {
  override readonly name = 'NotFound';
}

type Rule = Budget | RateLimit | ModelPolicy;

export interface RuleTable<T extends Rule> {
  /** For messages: "budget", "rate limit". */
  noun: string;
  /** For audit actions: budget.set, ratelimit.delete. */
  action: string;
  list(store: PolicyStore): Promise<T[]>;
  put(store: PolicyStore, rule: T): Promise<void>;
  remove(store: PolicyStore, id: string): Promise<boolean>;
  view(rule: T): Record<string, unknown>;
  /** Another kind of rule that shares the id namespace (budgets and pools), if any. */
  other?: { noun: string; list(store: PolicyStore): Promise<Rule[]> };
}

const ofKind = (kind: Budget['kind']) => async (store: PolicyStore) => (await store.listBudgets()).filter((b) => b.kind === kind);

export const budgets: RuleTable<Budget> = {
  noun: 'budget',
  action: 'budget',
  list: ofKind('budget'),
  put: (s, b) => s.putBudget(b),
  remove: (s, id) => s.deleteBudget(id),
  view: (b) => budgetView(b),
  other: { noun: 'pool', list: ofKind('pool') },
};

export const pools: RuleTable<Budget> = { ...budgets, noun: 'pool', action: 'pool', list: ofKind('pool'), other: { noun: 'budget', list: ofKind('budget') } };

export const rateLimits: RuleTable<RateLimit> = {
  noun: 'rate limit',
  action: 'ratelimit',
  list: (s) => s.listRateLimits(),
  put: (s, r) => s.putRateLimit(r),
  remove: (s, id) => s.deleteRateLimit(id),
  view: rateLimitView,
};

export const modelPolicies: RuleTable<ModelPolicy> = {
  noun: 'model policy',
  action: 'modelpolicy',
  list: (s) => s.listModelPolicies(),
  put: (s, p) => s.putModelPolicy(p),
  remove: (s, id) => s.deleteModelPolicy(id),
  view: modelPolicyView,
};

function readOnly(c: ChangeContext, noun: string, id: string): Conflict {
  return new Conflict(`${noun} ${id} is declared in the config file${c.configFile ? ` ${c.configFile}` : ''}: change or remove it there and restart (config rules cannot be changed with the CLI or admin API)`);
}

/** Inserts or replaces a rule by id. */
export async function setRule<T extends Rule>(c: ChangeContext, t: RuleTable<T>, rule: T): Promise<{ rule: T; created: boolean }> {
  if (c.isConfigRule(rule.id)) throw readOnly(c, t.noun, rule.id);
  if (t.other && (await t.other.list(c.store)).some((r) => r.id === rule.id)) {
    throw new Conflict(`${rule.id} is already a ${t.other.noun}; give this ${t.noun} another id`);
  }
  const existing = (await t.list(c.store)).find((r) => r.id === rule.id);
  const saved = existing ? { ...rule, createdAt: existing.createdAt } : rule;
  await t.put(c.store, saved);
  await audit(c, `${t.action}.set`, ruleSubject(t.action, rule.id), { rule: t.view(saved), replaced: existing !== undefined });
  return { rule: saved, created: existing === undefined };
}

export async function deleteRule<T extends Rule>(c: ChangeContext, t: RuleTable<T>, id: string): Promise<T> {
  if (c.isConfigRule(id)) throw readOnly(c, t.noun, id);
  const existing = (await t.list(c.store)).find((r) => r.id === id);
  if (!existing) {
    const other = t.other && (await t.other.list(c.store)).some((r) => r.id === id);
    throw new NotFound(`no ${t.noun} ${id}${other ? ` (${id} is a ${t.other!.noun})` : ''}`);
  }
  await t.remove(c.store, id);
  await audit(c, `${t.action}.delete`, ruleSubject(t.action, id), { rule: t.view(existing) });
  return existing;
}

export function audit(c: ChangeContext, action: string, subject: string, details: Record<string, unknown>): Promise<void> {
  const at = c.now();
  return c.store.appendAudit({ id: `aud_${newRequestId(at).replace(/-/g, '')}`, ts: at, actor: c.actor, action, subject, details });
}
