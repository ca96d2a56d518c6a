import type { ServerResponse } from 'node:http';
import { GROUP_FILTER_FIELDS, explain, explanationJson, groupFilterOf } from '../explain/explain.js';
import { checkWindowOrder, parseWindowSpec } from '../explain/windows.js';
import type { RateBook } from '../pricing/unit-rates.js';
import type { Storage } from '../storage/ports.js';
import { queryFormat, sendJson } from './json-response.js';
import { checkParams } from './admin-query.js';

/**
 * `GET /admin/v1/explain?from=last-week&to=this-week[&team=platform]`: the same answer as `tollgate explain --format json`,
 * narrowed to one user, team, model, provider, client or workflow when one is given. A bad window or two narrowings is a RangeError (400).
 */
export async function getExplain(deps: { storage: Storage; flush: () => Promise<void>; rates?: RateBook }, res: ServerResponse, query: URLSearchParams): Promise<void> {
  checkParams(query, 'GET /admin/v1/explain', ['from', 'to', 'format', ...GROUP_FILTER_FIELDS]);
  queryFormat(query, ['json']);
  // One clock for both windows, so that prev-2w and last-2w meet.
  const now = Date.now();
  const from = parseWindowSpec(query.get('from') ?? 'last-week', now);
  const to = parseWindowSpec(query.get('to') ?? 'this-week', now);
  checkWindowOrder(from, to, ['from', 'to']);
  const only = groupFilterOf((field) => query.get(field) ?? undefined);
  await deps.flush();
  // Without the gateway's prices, cache and price effects stay inside cost per request.
  const e = await explain(deps.storage.ledger, from, to, deps.rates ?? (() => undefined), now, only);
  sendJson(res, 200, explanationJson(e));
}
