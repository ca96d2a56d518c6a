import type { ServerResponse } from 'node:http';
import { CACHE_GROUP_BY, type CacheGroupBy } from '../cache-analysis/analyse.js';
import { renderCacheTable, renderCacheJson, runCacheReport } from '../cache-analysis/report.js';
import type { AdminDeps } from './admin.js';
import { window } from './admin.js';
import { sendAdminError } from './json-response.js';
import { checkParams } from './admin-query.js';

/** `GET /admin/v1/cache-report?since=&until=&by=workflow|key|model|session&format=json|table`. */
export async function getCacheReport(deps: AdminDeps, res: ServerResponse, query: URLSearchParams): Promise<void> {
  checkParams(query, 'GET /admin/v1/cache-report', ['since', 'until', 'by', 'format']);
  const by = query.get('by') ?? 'workflow';
  if (!(CACHE_GROUP_BY as readonly string[]).includes(by)) throw new RangeError(`by must be one of ${CACHE_GROUP_BY.join(', ')}, not "${by}"`);
  const format = query.get('format') ?? 'json';
  if (format !== 'json' && format !== 'table') throw new RangeError('format must be json or table');
  if (!deps.cachePrice) return sendAdminError(res, 503, 'unavailable', 'The cache report needs the gateway pricer.');
  await deps.flush();
  const report = await runCacheReport(deps.storage.ledger, { ...window(query), by: by as CacheGroupBy, price: deps.cachePrice });
  const text = format === 'table' ? renderCacheTable(report) : renderCacheJson(report);
  res.writeHead(200, { 'content-type': format === 'table' ? 'text/plain; charset=utf-8' : 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
