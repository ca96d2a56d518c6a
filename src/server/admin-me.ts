import type { IncomingMessage, ServerResponse } from 'node:http';
import { isoOrNull } from '../core/instant.js';
import { formatUsd } from '../core/money.js';
import { forecastSummary } from '../forecast/budgets.js';
import type { Forecast } from '../forecast/project.js';
import type { KeyResolver } from '../identity/key-resolver.js';
import { keyRefusal } from '../identity/key-validity.js';
import { isVirtualKey } from '../identity/virtual-keys.js';
import { CountersUnavailable } from '../policy/counters/port.js';
import { budgetCounter } from '../policy/plan.js';
import { parseRule } from '../policy/rule-input.js';
import type { Budget, Increase, RuleSet } from '../policy/rules.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import { type Scope, type Subject, formatScope, sameScope, scopeMatches } from '../policy/scope.js';
import { type BudgetStatus, type Identity, budgetStatus } from '../policy/status.js';
import type { KeyRecord } from '../storage/ports.js';
import { knownBudgets } from './admin-policy.js';
import { checkParams } from './admin-query.js';
import { forecastsById, initializeMissing, usedPercent } from './admin-status.js';
import { fileIncrease } from './file-increase.js';
import { selfIncreaseInput } from './increase-input.js';
import { readJson, sendAdminError, sendJson } from './json-response.js';
import { increaseView, modelPolicyView } from './policy-views.js';

export interface MeDeps {
  keys: KeyResolver;
  policy?: PolicyRuntime;
}

/**
 * `/admin/v1/me` and `/admin/v1/me/increases`: what a developer may see and ask for,
 * authenticated with their own virtual key rather than the admin token.
 */
export async function handleMe(deps: MeDeps, req: IncomingMessage, res: ServerResponse, sub: string, query: URLSearchParams): Promise<void> {
  const method = req.method ?? 'GET';
  // The key first, as the admin routes check their token first: without one, every path is a 401.
  const key = await caller(deps, req, res);
  if (!key) return;
  const route = ROUTES[sub];
  if (!route) return sendAdminError(res, 404, 'not_found', `No admin route ${method} /admin/v1${sub}.`);
  if (route[0] !== method) return sendAdminError(res, 405, 'method_not_allowed', `/admin/v1${sub} accepts ${route[0]}.`);
  // Neither route takes a parameter.
  checkParams(query, `${method} /admin/v1${sub}`, []);
  try {
    await route[1](deps.policy, key, req, res);
  } catch (err) {
    if (err instanceof CountersUnavailable) return sendAdminError(res, 503, 'counters_unavailable', 'Spend figures are unavailable right now (the counter store cannot be reached). Retry shortly.');
    throw err;
  }
}

/** The caller's key record, or undefined after answering 401. */
export async function caller(deps: MeDeps, req: IncomingMessage, res: ServerResponse): Promise<KeyRecord | undefined> {
  const auth = req.headers.authorization;
  const header = req.headers['x-api-key'];
  // The scheme is case-insensitive (RFC 9110), as the gateway's own routes read it.
  const given = auth && /^bearer /i.test(auth) ? auth.slice(7).trim() : typeof header === 'string' ? header.trim() : '';
  if (!isVirtualKey(given)) {
    sendAdminError(res, 401, 'missing_api_key', 'Send your Tollgate key: Authorization: Bearer tg_… (or x-api-key: tg_…).');
    return undefined;
  }
  const rec = await deps.keys.resolve(given);
  if (!rec) sendAdminError(res, 401, 'invalid_api_key', 'This Tollgate key is not valid.');
  else {
    const refused = keyRefusal(rec, Date.now());
    if (!refused) return rec;
    sendAdminError(res, 401, refused.code, refused.message);
  }
  return undefined;
}

function identityOf(k: KeyRecord): Identity {
  return { keyId: k.id, user: k.user, team: k.team, project: k.project, tags: {} };
}

/** The scopes a key may ask increases for: itself, its user, team and project. */
function ownScopes(k: KeyRecord): Scope[] {
  const scopes: Scope[] = [{ kind: 'key', value: k.id }];
  if (k.user) scopes.push({ kind: 'user', value: k.user });
  if (k.team) scopes.push({ kind: 'team', value: k.team });
  if (k.project) scopes.push({ kind: 'project', value: k.project });
  return scopes;
}

/** Whether a budget bears on the caller, as `/me` lists them. */
function bearsOn(b: Budget, rules: RuleSet, who: Subject): boolean {
  if (scopeMatches(b.scope, who) || b.scope.kind === 'model' || b.scope.kind === 'provider') return true;
  return b.kind === 'pool' && rules.budgets.some((m) => m.pool === b.id && scopeMatches(m.scope, who));
}

async function getMe(runtime: PolicyRuntime | undefined, k: KeyRecord, _req: IncomingMessage, res: ServerResponse): Promise<void> {
  const key = { id: k.id, name: k.name, user: k.user, team: k.team, project: k.project, expires_at: isoOrNull(k.expiresAt) };
  if (!runtime) return sendJson(res, 200, { key, spend_controls: false, budgets: [], increases: [], rate_limits: [], model_policies: [] });
  const who = identityOf(k);
  const probe: Subject = { ...who, model: '', provider: '' };
  const rules = runtime.rules.current();
  const s = runtime.settings;
  const now = runtime.now();
  let statuses = await budgetStatus(rules, who, runtime.counters, s, now);
  if (await initializeMissing(runtime, statuses.map((st) => budgetCounter(s.keyPrefix, st.budget, rules, now, s.timeZone)), now)) {
    statuses = await budgetStatus(rules, who, runtime.counters, s, now);
  }
  const budgetIds = new Set(statuses.map((st) => st.budget.id));
  const forecasts = await forecastsById(runtime, rules, now, [...budgetIds]);
  const open = [...(await runtime.store.listIncreases({ status: 'pending' })), ...(await runtime.store.listIncreases({ status: 'approved' }))];
  const increases = open.filter((i) => (i.expiresAt === null || i.expiresAt > now) && (i.budgetId !== null ? budgetIds.has(i.budgetId) : isOwn(i, probe)));
  const limits = rules.rateLimits.filter((r) => r.scope.kind !== 'tag' && (scopeMatches(r.scope, probe) || r.scope.kind === 'model' || r.scope.kind === 'provider'));
  sendJson(res, 200, {
    key,
    spend_controls: true,
    show_amounts: s.showAmounts,
    time_zone: s.timeZone,
    budgets: statuses.map((st) => statusView(st, forecasts.get(st.budget.id), s.showAmounts)),
    increases: increases.map((i) => hideAmount(increaseView(i), s.showAmounts)),
    rate_limits: limits.map((r) => ({ id: r.id, name: r.name, scope: formatScope(r.scope), rpm: r.rpm, tpm: r.tpm, concurrency: r.concurrency, applies: r.scope.kind === 'model' || r.scope.kind === 'provider' ? 'conditional' : 'always' })),
    model_policies: rules.modelPolicies.filter((p) => scopeMatches(p.scope, probe)).map((p) => {
      const { source: _s, created_at: _c, ...view } = modelPolicyView(p);
      return view;
    }),
  });
}

function isOwn(i: Increase, who: Subject): boolean {
  return i.scope.kind !== 'tag' && i.scope.kind !== 'model' && i.scope.kind !== 'provider' && scopeMatches(i.scope, who);
}

function statusView(st: BudgetStatus, f: Forecast | undefined, showAmounts: boolean): Record<string, unknown> {
  const b = st.budget;
  const view: Record<string, unknown> = { budget_id: b.id, kind: b.kind, name: b.name, scope: st.scope, window: st.window, applies: st.applies, used_percent: usedPercent(st.spentPicos + st.heldPicos, st.limitPicos) };
  if (showAmounts) Object.assign(view, { limit_usd: formatUsd(st.limitPicos), spent_usd: formatUsd(st.spentPicos), held_usd: formatUsd(st.heldPicos), remaining_usd: formatUsd(st.remainingPicos) });
  return Object.assign(view, { window_start: new Date(st.windowStart).toISOString(), resets_at: new Date(st.resetsAt).toISOString(), forecast: f ? forecastSummary(f, showAmounts) : null });
}

function hideAmount(view: Record<string, unknown>, showAmounts: boolean): Record<string, unknown> {
  if (showAmounts) return view;
  const { amount_usd: _a, ...rest } = view;
  return rest;
}

async function postIncrease(runtime: PolicyRuntime | undefined, k: KeyRecord, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!runtime) return sendAdminError(res, 503, 'policy_disabled', 'Spend controls are off in this gateway: there is nothing to raise.');
  const input = parseRule(selfIncreaseInput, await readJson(req));
  const own = ownScopes(k);
  const budgets = await knownBudgets(runtime);
  const b = input.budget_id === undefined ? undefined : budgets.find((x) => x.id === input.budget_id);
  if (b && !bearsOn(b, runtime.rules.current(), { ...identityOf(k), model: '', provider: '' })) {
    return sendAdminError(res, 403, 'forbidden', `Budget ${b.id} (${formatScope(b.scope)}) does not apply to you.`);
  }
  // A named budget (a team's, or the pool one's budget draws on) is asked for on its own scope, as the admin API files it.
  const scope = input.scope ?? b?.scope ?? own.find((s) => s.kind === 'user') ?? own[0]!;
  if (!own.some((s) => sameScope(s, scope))) {
    return sendAdminError(res, 403, 'forbidden', `You can ask for increases on ${own.map(formatScope).join(', ')}, not ${formatScope(scope)}. Ask an admin to file it for you.`);
  }
  const inc = await fileIncrease(runtime.increases, budgets, { ...input, scope, requestedBy: k.user ?? k.id });
  await runtime.rules.refresh();
  sendJson(res, 201, increaseView(inc));
}

type MeHandler = (runtime: PolicyRuntime | undefined, k: KeyRecord, req: IncomingMessage, res: ServerResponse) => Promise<void>;

const ROUTES: Partial<Record<string, [method: string, handler: MeHandler]>> = {
  '/me': ['GET', getMe],
  '/me/increases': ['POST', postIncrease],
};
