import { formatUsd } from '../core/money.js';
import { forecastSummary } from '../forecast/budgets.js';
import type { Forecast } from '../forecast/project.js';
import { CountersUnavailable } from '../policy/counters/port.js';
import { type BudgetCounter, budgetCounter } from '../policy/plan.js';
import { endedHolds, reconcile } from '../policy/reconcile.js';
import type { RuleSet } from '../policy/rules.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import { formatScope } from '../policy/scope.js';
import { counterStatus } from '../policy/status.js';
import { formatWindow } from '../policy/window.js';
import type { PolicyRequest } from './admin-policy.js';
import { booleanQuery, sendAdminError, sendJson } from './json-response.js';
import { audit } from './rule-changes.js';
import { checkParams } from './admin-query.js';
import { errorMessage } from '../core/errors.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** Whole percent of the limit used (100 for a zero limit with any use). */
export function usedPercent(level: bigint, limit: bigint): number {
  if (limit <= 0n) return level > 0n ? 100 : 0;
  return Number(((level < 0n ? 0n : level) * 100n) / limit);
}

/**
 * Counters start from the ledger the first time a request needs them; a status read
 * before that would show zero, so missing ones are initialised here the same way.
 * Returns whether any was.
 */
export async function initializeMissing(runtime: PolicyRuntime, counters: BudgetCounter[], now: number): Promise<boolean> {
  const read = await runtime.counters.read(counters.map((c) => c.line));
  const missing = counters.filter((_, i) => !read[i]!.initialized);
  if (missing.length > 0) await runtime.counters.initialize(await Promise.all(missing.map((c) => runtime.fromLedger(c, now))));
  return missing.length > 0;
}

/**
 * Forecasts by budget id. Status comes from the counters and must not fail because the ledger
 * cannot be read: then there are no forecasts (each shows as null).
 */
export async function forecastsById(runtime: PolicyRuntime, rules: RuleSet, now: number, ids?: readonly string[]): Promise<Map<string, Forecast>> {
  try {
    return new Map((await runtime.forecast(rules, now, ids)).map((f) => [f.budget.id, f.forecast]));
  } catch {
    return new Map();
  }
}

/** Answers 503 when the shared counter store cannot be reached. */
async function withCounters(r: PolicyRequest, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof CountersUnavailable) return sendAdminError(r.res, 503, 'counters_unavailable', `The budget counter store cannot be reached: ${err.message}`);
    throw err;
  }
}

/** GET /budgets/status: every budget and pool with its spend in the current window, and where it is heading. */
export function getStatus(r: PolicyRequest): Promise<void> {
  checkParams(r.query, 'GET /admin/v1/budgets/status', []);
  return withCounters(r, async () => {
    const { runtime } = r;
    const rules = runtime.rules.current();
    const now = runtime.now();
    const s = runtime.settings;
    const list = rules.budgets.map((b) => budgetCounter(s.keyPrefix, b, rules, now, s.timeZone));
    await initializeMissing(runtime, list, now);
    const read = await runtime.counters.read(list.map((c) => c.line));
    const forecasts = await forecastsById(runtime, rules, now);
    const data = list.map((c, i) => {
      const st = counterStatus(c, read[i]!);
      const b = st.budget;
      const f = forecasts.get(b.id);
      return {
        id: b.id,
        kind: b.kind,
        name: b.name,
        scope: st.scope,
        window: st.window,
        source: b.source,
        pool: b.pool,
        limit_usd: formatUsd(st.limitPicos),
        base_limit_usd: formatUsd(b.limitPicos),
        spent_usd: formatUsd(st.spentPicos),
        held_usd: formatUsd(st.heldPicos),
        remaining_usd: formatUsd(st.remainingPicos),
        used_percent: usedPercent(st.spentPicos + st.heldPicos, st.limitPicos),
        window_start: iso(st.windowStart),
        resets_at: iso(st.resetsAt),
        forecast: f ? forecastSummary(f) : null,
      };
    });
    sendJson(r.res, 200, { data });
  });
}

/** GET /budgets/reconcile[?fix=true]: counters against the ledger, per budget. */
export function getReconcile(r: PolicyRequest): Promise<void> {
  checkParams(r.query, `${r.req.method ?? 'GET'} /admin/v1/budgets/reconcile`, ['fix']);
  return withCounters(r, async () => {
    const { runtime } = r;
    const fix = booleanQuery(r.query, 'fix');
    await runtime.catchUp();
    // Before the drift is measured: a hold released here leaves its cost to the drift fix.
    const holds = await endedHolds(runtime.counters, runtime.endedRequests, runtime.now(), fix);
    const drifts = await reconcile(runtime.rules.current(), runtime.counters, (c, at) => runtime.fromLedger(c, at), runtime.settings, runtime.now(), fix);
    const data = drifts.map((d) => ({
      budget_id: d.counter.budget.id,
      kind: d.counter.budget.kind,
      scope: formatScope(d.counter.budget.scope),
      window: formatWindow(d.counter.budget.window),
      window_start: iso(d.counter.window.from),
      counted_usd: formatUsd(d.counted),
      ledger_usd: formatUsd(d.ledger),
      drift_usd: formatUsd(d.drift),
      initialized: d.initialized,
      fixed: fix && d.initialized && d.drift !== 0n,
    }));
    const fixed = data.filter((d) => d.fixed);
    if (fixed.length > 0 || holds.released > 0) {
      const ctx = { store: runtime.store, isConfigRule: () => false, configFile: undefined, actor: 'admin-api', now: () => runtime.now() };
      await audit(ctx, 'budget.reconcile', 'counters', { fixed: fixed.map((d) => ({ budget_id: d.budget_id, drift_usd: d.drift_usd })), released_holds: holds.released });
    }
    // Holds of requests whose row is in the ledger: released with --fix (see endedHolds).
    sendJson(r.res, 200, { fix, data, ended_holds: holds.found, released_holds: holds.released });
  });
}

const PROBE_TIMEOUT_MS = 2000;

/** GET /policy/health: whether the counter store answers, and what the enforcer has done. */
export async function getHealth(r: PolicyRequest): Promise<void> {
  checkParams(r.query, 'GET /admin/v1/policy/health', []);
  const { runtime } = r;
  const s = runtime.settings;
  const probe = { ref: 'health', marker: `${s.keyPrefix}health`, buckets: [`${s.keyPrefix}health:b`], limit: 0n, ttlMs: 60_000 };
  let error: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, fail) => (timer = setTimeout(() => fail(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS)));
    await Promise.race([runtime.counters.read([probe]), timeout]);
  } catch (err) {
    error = errorMessage(err);
  } finally {
    clearTimeout(timer);
  }
  const rules = runtime.rules.current();
  const st = runtime.enforcer.stats;
  const kept = runtime.enforcer.pendingSettlements;
  const d = runtime.drift.last;
  const reconciliation = d && {
    last_run: new Date(d.at).toISOString(),
    budgets_checked: d.checked,
    drifting: d.drifting.map((x) => ({ budget_id: x.budgetId, window_start: new Date(x.window).toISOString(), drift_usd: formatUsd(x.driftPicos) })),
  };
  sendJson(r.res, error ? 503 : 200, {
    status: error ? 'degraded' : 'ok',
    counters: error ? { ok: false, error } : { ok: true },
    reconciliation: reconciliation ?? null,
    enforcer: { admitted: st.admitted, refused: st.refused, fail_open: st.failOpen, fail_closed: st.failClosed, settle_errors: st.settleErrors, fallback_holds: st.fallbackHolds, fallback_refused: st.fallbackRefused, settlements_waiting: kept.waiting, settlements_dropped: kept.dropped, settlements_lapsed: kept.lapsed },
    rules: {
      budgets: rules.budgets.filter((b) => b.kind === 'budget').length,
      pools: rules.budgets.filter((b) => b.kind === 'pool').length,
      rate_limits: rules.rateLimits.length,
      model_policies: rules.modelPolicies.length,
      increases_pending: rules.increases.filter((i) => i.status === 'pending').length,
      increases_approved: rules.increases.filter((i) => i.status === 'approved').length,
    },
    settings: { time_zone: s.timeZone, show_amounts: s.showAmounts, input_counting: s.inputCounting, default_max_output_tokens: s.defaultMaxOutputTokens, responses_context_tokens: s.responsesContextTokens, server_tool_uses: s.serverToolUses, server_tool_result_tokens: s.serverToolResultTokens, server_tool_fee_usd: formatUsd(s.serverToolFeePicos), gemini_cache_tokens: s.geminiCacheTokens, lease_minutes: s.leaseMs / 60_000 },
  });
}
