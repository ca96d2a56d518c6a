import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_LOOKBACK_DAYS, forecastBudgets, forecastView } from '../forecast/budgets.js';
import { outcomeView, parseOutcome } from '../outcomes/outcome.js';
import { OUTCOME_DIMENSIONS, isOutcomeDimension, outcomeReport } from '../outcomes/report.js';
import { renderOutcomeCsv, renderOutcomeJson } from '../outcomes/render.js';
import { parseTimeWindow } from '../reports/time.js';
import type { AdminDeps } from './admin.js';
import { knownBudgets } from './admin-policy.js';
import { queryFormat, readJson, sendAdminError, sendJson } from './json-response.js';
import { checkParams, filterParam } from './admin-query.js';

const ROUTES = ['GET /forecast', 'POST /outcomes', 'GET /outcomes', 'GET /outcomes/report'];

/** Whether `sub` (the path after /admin/v1) is a forecast or outcome route, whatever the method. */
export function isFinopsRoute(sub: string): boolean {
  return ROUTES.some((r) => r.slice(r.indexOf(' ') + 1) === sub);
}

/** `/admin/v1/forecast` and `/admin/v1/outcomes[/report]`; the admin token is checked by the caller. */
export async function handleFinopsAdmin(deps: AdminDeps, req: IncomingMessage, res: ServerResponse, sub: string, query: URLSearchParams): Promise<void> {
  const route = `${req.method ?? 'GET'} ${sub}`;
  if (!ROUTES.includes(route)) return sendAdminError(res, 405, 'method_not_allowed', `${req.method ?? 'GET'} is not allowed on /admin/v1${sub}.`);
  const now = Date.now();
  const window = () => parseTimeWindow(query.get('since'), query.get('until'), now);
  switch (route) {
    case 'GET /forecast':
      checkParams(query, 'GET /admin/v1/forecast', ['lookback', 'budget']);
      return getForecast(deps, res, query);
    case 'POST /outcomes': {
      const o = parseOutcome(await readJson(req), now);
      const created = await deps.storage.outcomes.add(o);
      const stored = created ? o : await deps.storage.outcomes.get(o.id);
      return sendJson(res, created ? 201 : 200, { ...outcomeView(stored ?? o), created });
    }
    case 'GET /outcomes': {
      checkParams(query, 'GET /admin/v1/outcomes', ['since', 'until', 'kind', 'limit']);
      const limit = query.get('limit') === null ? 1000 : Number(query.get('limit'));
      if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new RangeError('limit must be a whole number from 1 to 100000');
      const list = await deps.storage.outcomes.list({ ...window(), kind: filterParam(query, 'kind'), limit });
      return sendJson(res, 200, { data: list.map(outcomeView) });
    }
    default: {
      checkParams(query, 'GET /admin/v1/outcomes/report', ['since', 'until', 'by', 'kind', 'format']);
      const by = query.get('by') ?? 'user';
      if (!isOutcomeDimension(by)) throw new RangeError(`cannot group outcomes by "${by}" (use ${OUTCOME_DIMENSIONS})`);
      const format = queryFormat(query, ['json', 'csv']);
      await deps.flush();
      const report = await outcomeReport(deps.storage.ledger, deps.storage.outcomes, { ...window(), by: by, kind: filterParam(query, 'kind') });
      const csv = format === 'csv';
      const text = csv ? renderOutcomeCsv(report) : renderOutcomeJson(report);
      res.writeHead(200, { 'content-type': csv ? 'text/csv' : 'application/json', 'content-length': Buffer.byteLength(text) });
      return void res.end(text);
    }
  }
}

async function getForecast(deps: AdminDeps, res: ServerResponse, query: URLSearchParams): Promise<void> {
  const runtime = deps.policy;
  if (!runtime) return sendAdminError(res, 503, 'policy_disabled', 'Spend controls are off in this gateway, so there are no budgets to forecast.');
  const lookbackDays = query.get('lookback') === null ? DEFAULT_LOOKBACK_DAYS : Number(query.get('lookback'));
  if (!Number.isInteger(lookbackDays) || lookbackDays < 7 || lookbackDays > 90) throw new RangeError('lookback must be a whole number of days from 7 to 90');
  const ids = filterParam(query, 'budget')?.split(',').map((s) => s.trim()).filter(Boolean);
  const rules = { ...runtime.rules.current(), budgets: await knownBudgets(runtime) };
  const unknown = ids?.find((id) => !rules.budgets.some((b) => b.id === id));
  if (unknown) return sendAdminError(res, 404, 'not_found', `No budget or pool ${unknown}.`);
  await deps.flush();
  const list = await forecastBudgets(deps.storage.ledger, rules, { timeZone: runtime.settings.timeZone, keyPrefix: runtime.settings.keyPrefix, now: runtime.now(), lookbackDays, ids });
  sendJson(res, 200, { time_zone: runtime.settings.timeZone, data: list.map(forecastView) });
}
