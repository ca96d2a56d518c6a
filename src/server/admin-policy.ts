import type { IncomingMessage, ServerResponse } from 'node:http';
import { budgetInput, modelPolicyInput, parseRule, poolInput, rateLimitInput, toBudget, toModelPolicy, toRateLimit } from '../policy/rule-input.js';
import type { Budget, IncreaseStatus, ModelPolicy, RateLimit, RuleSet } from '../policy/rules.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import { auditCursor, auditParams, checkParams } from './admin-query.js';
import { getHealth, getReconcile, getStatus } from './admin-status.js';
import { fileIncrease } from './file-increase.js';
import { adminIncreaseInput, decisionInput } from './increase-input.js';
import { readJson, sendAdminError, sendJson } from './json-response.js';
import { auditView, budgetView, increaseView } from './policy-views.js';
import { type ChangeContext, Conflict, NotFound, type RuleTable, budgets, deleteRule, modelPolicies, pools, rateLimits, setRule } from './rule-changes.js';

/** One admin request, as the policy routes see it. */
export interface PolicyRequest {
  runtime: PolicyRuntime;
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  /** The route's capture (an id), decoded. */
  id: string;
}

type Handler = (r: PolicyRequest) => Promise<void>;

const ACTOR = 'admin-api';
const STATUSES: readonly IncreaseStatus[] = ['pending', 'approved', 'denied', 'expired'];

type Rule = Budget | RateLimit | ModelPolicy;

interface Kind<T extends Rule> {
  table: RuleTable<T>;
  inConfig(rules: RuleSet): T[];
  parse(body: unknown, now: number): T;
  /** How a listing shows each rule (budgets flag a pool that does not exist). */
  listView?(runtime: PolicyRuntime): Promise<(rule: T) => Record<string, unknown>>;
}

const BUDGETS: Kind<Budget> = {
  table: budgets,
  inConfig: (r) => r.budgets.filter((b) => b.kind === 'budget'),
  parse: (body, now) => toBudget(parseRule(budgetInput, body), 'budget', 'api', now),
  listView: async (runtime) => {
    const known = await poolIds(runtime);
    return (b) => budgetView(b, known);
  },
};

const POOLS: Kind<Budget> = {
  table: pools,
  inConfig: (r) => r.budgets.filter((b) => b.kind === 'pool'),
  parse: (body, now) => toBudget(parseRule(poolInput, body), 'pool', 'api', now),
};

const RATE_LIMITS: Kind<RateLimit> = {
  table: rateLimits,
  inConfig: (r) => r.rateLimits,
  parse: (body, now) => toRateLimit(parseRule(rateLimitInput, body), 'api', now),
};

const MODEL_POLICIES: Kind<ModelPolicy> = {
  table: modelPolicies,
  inConfig: (r) => r.modelPolicies,
  parse: (body, now) => toModelPolicy(parseRule(modelPolicyInput, body), 'api', now),
};

function changes(runtime: PolicyRuntime, actor = ACTOR): ChangeContext {
  return { store: runtime.store, isConfigRule: (id) => runtime.rules.isConfigRule(id), configFile: undefined, actor, now: () => runtime.now() };
}

/** The config's rules of a kind, then the stored ones (a config rule wins an id). */
async function allRules<T extends Rule>(runtime: PolicyRuntime, k: Kind<T>): Promise<T[]> {
  const fromConfig = k.inConfig(runtime.rules.current()).filter((x) => x.source === 'config');
  const ids = new Set(fromConfig.map((x) => x.id));
  return [...fromConfig, ...(await k.table.list(runtime.store)).filter((x) => !ids.has(x.id))];
}

/** Budgets and pools in force, read afresh (the rule book may be a moment behind). */
export async function knownBudgets(runtime: PolicyRuntime): Promise<Budget[]> {
  return [...(await allRules(runtime, BUDGETS)), ...(await allRules(runtime, POOLS))];
}

/** Every pool id, from the config and storage, to flag budgets that name a missing one. */
async function poolIds(runtime: PolicyRuntime): Promise<Set<string>> {
  return new Set([...runtime.rules.current().budgets, ...(await runtime.store.listBudgets())].filter((b) => b.kind === 'pool').map((b) => b.id));
}

function listRules<T extends Rule>(k: Kind<T>, path: string): Handler {
  return async (r) => {
    checkParams(r.query, `GET /admin/v1/${path}`, []);
    const view = k.listView ? await k.listView(r.runtime) : (x: T) => k.table.view(x);
    sendJson(r.res, 200, { data: (await allRules(r.runtime, k)).map(view) });
  };
}

function postRule<T extends Rule>(k: Kind<T>): Handler {
  return async (r) => {
    const rule = k.parse(await readJson(r.req), r.runtime.now());
    const done = await setRule(changes(r.runtime), k.table, rule);
    await r.runtime.rules.refresh();
    sendJson(r.res, done.created ? 201 : 200, k.table.view(done.rule));
  };
}

function deleteRoute<T extends Rule>(k: Kind<T>): Handler {
  return async (r) => {
    const gone = await deleteRule(changes(r.runtime), k.table, r.id);
    await r.runtime.rules.refresh();
    sendJson(r.res, 200, { deleted: true, rule: k.table.view(gone) });
  };
}

async function listIncreases(r: PolicyRequest): Promise<void> {
  checkParams(r.query, 'GET /admin/v1/increases', ['status']);
  const status = r.query.get('status') ?? undefined;
  if (status !== undefined && !STATUSES.includes(status as IncreaseStatus)) throw new RangeError(`status must be one of ${STATUSES.join(', ')}`);
  const list = await r.runtime.store.listIncreases(status ? { status: status as IncreaseStatus } : {});
  sendJson(r.res, 200, { data: list.map(increaseView) });
}

async function postIncrease(r: PolicyRequest): Promise<void> {
  const input = parseRule(adminIncreaseInput, await readJson(r.req));
  const inc = await fileIncrease(r.runtime.increases, await knownBudgets(r.runtime), { ...input, requestedBy: input.requested_by });
  await r.runtime.rules.refresh();
  sendJson(r.res, 201, increaseView(inc));
}

function decide(approve: boolean): Handler {
  return async (r) => {
    const { note } = parseRule(decisionInput, await readJson(r.req)) ?? {};
    const header = r.req.headers['x-tollgate-actor'];
    const actor = typeof header === 'string' && header.trim() ? header.trim().slice(0, 200) : ACTOR;
    const existing = await r.runtime.store.getIncrease(r.id);
    if (!existing) throw new NotFound(`no increase request ${r.id}`);
    if (existing.status !== 'pending') throw new Conflict(`increase ${r.id} is already ${existing.status}`);
    let done;
    try {
      done = await r.runtime.increases.decide(r.id, approve, actor, note ?? null);
    } catch (err) {
      // Another approver (or replica) decided it between the read above and this write.
      if (err instanceof RangeError) throw new Conflict(err.message);
      throw err;
    }
    await r.runtime.rules.refresh();
    sendJson(r.res, 200, increaseView(done));
  };
}

/** Newest first, a page at a time: `next_cursor` (null on the last page) takes the next request back from where this one ended. */
async function listAudit(r: PolicyRequest): Promise<void> {
  const page = await r.runtime.store.pageAudit(auditParams(r.query, r.runtime.now()));
  sendJson(r.res, 200, { data: page.entries.map(auditView), next_cursor: page.next ? auditCursor(page.next) : null });
}

const ID = '([^/]+)';
type Route = [method: string, path: RegExp, handler: Handler];

function ruleRoutes<T extends Rule>(path: string, k: Kind<T>): Route[] {
  return [
    ['GET', new RegExp(`^/${path}$`), listRules(k, path)],
    ['POST', new RegExp(`^/${path}$`), postRule(k)],
    ['DELETE', new RegExp(`^/${path}/${ID}$`), deleteRoute(k)],
  ];
}

const ROUTES: Route[] = [
  ['GET', /^\/budgets\/status$/, getStatus],
  ['GET', /^\/budgets\/reconcile$/, getReconcile],
  ['POST', /^\/budgets\/reconcile$/, getReconcile],
  ['GET', /^\/policy\/health$/, getHealth],
  ['GET', /^\/increases$/, listIncreases],
  ['POST', /^\/increases$/, postIncrease],
  ['POST', new RegExp(`^/increases/${ID}/approve$`), decide(true)],
  ['POST', new RegExp(`^/increases/${ID}/deny$`), decide(false)],
  ['GET', /^\/audit$/, listAudit],
  ...ruleRoutes('budgets', BUDGETS),
  ...ruleRoutes('pools', POOLS),
  ...ruleRoutes('rate-limits', RATE_LIMITS),
  ...ruleRoutes('model-policies', MODEL_POLICIES),
];

/** An id from a URL path; malformed %-escapes are the client's mistake (400), not a crash. */
export function decodeId(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new RangeError(`"${text}" is not a valid id in a URL`);
  }
}

/** Whether `sub` (the path after /admin/v1) is a spend-control route, whatever the method. */
export function isPolicyRoute(sub: string): boolean {
  return ROUTES.some(([, re]) => re.test(sub));
}

/**
 * `/admin/v1/{budgets,pools,rate-limits,model-policies,increases,audit,policy}`: the admin
 * token is checked by the caller. Answers 405 for a known path with another method.
 */
export async function handlePolicyAdmin(runtime: PolicyRuntime | undefined, req: IncomingMessage, res: ServerResponse, sub: string, query: URLSearchParams): Promise<void> {
  if (!runtime) return sendAdminError(res, 503, 'policy_disabled', 'Spend controls are off in this gateway, so budgets, limits and increases cannot be managed here.');
  const method = req.method ?? 'GET';
  const matching = ROUTES.filter(([, re]) => re.test(sub));
  const route = matching.find(([m]) => m === method);
  if (!route) return sendAdminError(res, 405, 'method_not_allowed', `${sub} accepts ${[...new Set(matching.map(([m]) => m))].join(', ')}.`);
  try {
    const id = decodeId(route[1].exec(sub)![1] ?? '');
    await route[2]({ runtime, req, res, query, id });
  } catch (err) {
    if (err instanceof Conflict) return sendAdminError(res, 409, 'conflict', err.message);
    if (err instanceof NotFound) return sendAdminError(res, 404, 'not_found', err.message);
    throw err;
  }
}
