import type { IncomingMessage, ServerResponse } from 'node:http';
import { closest } from '../core/closest.js';
import { isDimension, repeatedDimension } from '../core/ledger-row.js';
import type { RowPricer } from '../cache-analysis/price-moves.js';
import type { KeyResolver } from '../identity/key-resolver.js';
import { checkKeyInput, createKey, publicKey } from '../identity/key-service.js';
import { parseExpiry } from '../identity/key-validity.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import type { RateBook } from '../pricing/unit-rates.js';
import type { RouteStatus } from '../routing/status.js';
import type { FocusContext } from '../focus/charges.js';
import { csvHeader, toCsvLine, toJsonLine } from '../reports/export.js';
import { runReport } from '../reports/report.js';
import { renderCsv, renderJson } from '../reports/render.js';
import { renderRuleCsv, renderRuleJson, runRuleReport } from '../reports/rule-report.js';
import { parseReportWindow, parseTimeWindow } from '../reports/time.js';
import { sameSecret } from '../identity/same-secret.js';
import { type AuthThrottle, retryAfterSeconds, throttledMessage, throttledTry } from '../identity/auth-throttle.js';
import { clientOf } from '../identity/client-address.js';
import type { Storage } from '../storage/ports.js';
import { getExplain } from './admin-explain.js';
import { crossCheck } from '../telemetry/cross-check.js';
import { handleFinopsAdmin, isFinopsRoute } from './admin-finops.js';
import { caller, handleMe } from './admin-me.js';
import { getCacheReport } from './admin-cache.js';
import { type ImportHooks, postLedgerImport } from './admin-ledger-import.js';
import { ContentEncodingError } from '../gateway/content-encoding.js';
import { encodingError } from '../gateway/request-errors.js';
import { decodeId, handlePolicyAdmin, isPolicyRoute } from './admin-policy.js';
import { type ObjectsAdminDeps, handleObjectsAdmin, isObjectsRoute } from './admin-objects.js';
import { UnsupportedMediaType, booleanQuery, queryFormat, readJson, sendAdminError, sendJson } from './json-response.js';
import { checkParams, keyListParams, reportParams } from './admin-query.js';

export interface AdminDeps extends ObjectsAdminDeps {
  storage: Storage;
  keys: KeyResolver;
  /** TOLLGATE_ADMIN_TOKEN; the admin API is off when it is unset. */
  token: string | undefined;
  /** Wrong admin tokens counted per client address (admin API, /metrics, the dashboard's sign-in); uncounted when absent. */
  throttle?: AuthThrottle;
  /** Makes rows written so far visible to reads, or fails soon with StorageUnavailableError (a 503): see LedgerWriter.flushForRead. */
  flush: () => Promise<void>;
  /** Spend controls; their routes answer 503 when absent. */
  policy?: PolicyRuntime;
  /** Prices rows for the cache report; the report answers 503 when absent. */
  cachePrice?: RowPricer;
  /** Prices a pushed log row as the gateway's own traffic is priced. */
  importPrice?: ImportHooks['price'];
  /** Prices for `explain`'s cache and price drivers. */
  rates?: RateBook;
  /** Configured routes' health and rate-limit view; absent when no routes are configured. */
  routing?: { status(): RouteStatus[] };
  /** What a FOCUS export needs from the config (vendors, list prices, discounts); `format=focus` is refused when absent. */
  focus?: () => Promise<FocusContext>;
}

/**
 * `/admin/v1/...`: keys, stored objects' owners, reports, exports and spend controls over HTTP, behind a bearer
 * token; `/admin/v1/me` takes the developer's own virtual key instead.
 */
export async function handleAdmin(deps: AdminDeps, req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
  const method = req.method ?? 'GET';
  const sub = path.slice('/admin/v1'.length);
  try {
    if (sub === '/me/ledger/import' && method === 'POST') {
      // A developer's own agent logs, pushed with their key: attributed to it, whatever the rows say.
      const owner = await caller(deps, req, res);
      return owner ? await postLedgerImport(deps.storage, req, res, query, owner, importHooks(deps)) : undefined;
    }
    if (sub === '/me' || sub.startsWith('/me/')) return await handleMe(deps, req, res, sub, query);
    if (!admitted(deps.token, 'The admin API is', req, res, deps.throttle)) return;
    if (isPolicyRoute(sub)) return await handlePolicyAdmin(deps.policy, req, res, sub, query);
    if (isFinopsRoute(sub)) return await handleFinopsAdmin(deps, req, res, sub, query);
    if (isObjectsRoute(sub)) return await handleObjectsAdmin(deps, req, res, sub, query);
    if (sub === '/keys' && method === 'POST') return await postKey(deps, req, res);
    if (sub === '/keys' && method === 'GET') {
      keyListParams(query);
      const list = await deps.storage.keys.list({ includeRevoked: booleanQuery(query, 'include_revoked') });
      return sendJson(res, 200, { data: list.map(publicKey) });
    }
    const revoke = /^\/keys\/([^/]+)(\/revoke)?$/.exec(sub);
    if (revoke && ((method === 'DELETE' && !revoke[2]) || (method === 'POST' && revoke[2]))) {
      const rec = await deps.storage.keys.revoke(decodeId(revoke[1]!), Date.now());
      if (!rec) return sendAdminError(res, 404, 'not_found', `No key ${revoke[1]}.`);
      // That key alone: the others keep their last known state, which serves them while storage is down.
      deps.keys.revoked(rec);
      return sendJson(res, 200, publicKey(rec));
    }
    if (sub === '/report' && method === 'GET') return await getReport(deps, res, query);
    if (sub === '/export' && method === 'GET') return await getExport(deps, res, query);
    if (sub === '/cache-report' && method === 'GET') return await getCacheReport(deps, res, query);
    if (sub === '/explain' && method === 'GET') return await getExplain(deps, res, query);
    if (sub === '/telemetry/cross-check' && method === 'GET') return await getCrossCheck(deps, res, query);
    if (sub === '/routing/status' && method === 'GET') {
      checkParams(query, 'GET /admin/v1/routing/status', []);
      return sendJson(res, 200, { at: new Date().toISOString(), routes: deps.routing?.status() ?? [] });
    }
    if (sub === '/ledger/import' && method === 'POST') return await postLedgerImport(deps.storage, req, res, query, undefined, importHooks(deps));
    return sendAdminError(res, 404, 'not_found', `No admin route ${method} ${path}.`);
  } catch (err) {
    if (err instanceof RangeError) return sendAdminError(res, 400, 'invalid_request', err.message);
    if (err instanceof UnsupportedMediaType) {
      // RFC 9110 §15.5.16: say what would have been taken (Accept-Post, as LDP and RFC 5789's Accept-Patch name it).
      res.setHeader('accept-post', err.accepted.join(', '));
      return sendAdminError(res, 415, 'unsupported_media_type', err.message);
    }
    if (err instanceof ContentEncodingError) {
      const e = encodingError(err);
      return sendAdminError(res, e.status, e.code, e.message);
    }
    throw err;
  }
}

/**
 * Whether the request carries the admin token; if not, answers 503 (no token set: `what` is
 * off), 429 (its address is refused for now: `throttle`), or 401, and returns false. A wrong
 * token (not a missing one) counts against its address.
 */
export function admitted(token: string | undefined, what: string, req: IncomingMessage, res: ServerResponse, throttle?: AuthThrottle): boolean {
  if (!token) {
    sendAdminError(res, 503, 'admin_disabled', `${what} off: start the gateway with TOLLGATE_ADMIN_TOKEN set.`);
    return false;
  }
  const attempt = throttledTry(throttle, clientOf(req));
  if (attempt.wait > 0) {
    res.setHeader('retry-after', retryAfterSeconds(attempt.wait));
    sendAdminError(res, 429, 'too_many_auth_failures', throttledMessage(attempt.wait));
    return false;
  }
  const header = req.headers.authorization;
  // The scheme is case-insensitive (RFC 9110): `authorization: bearer …` is the same header.
  const given = header && /^bearer /i.test(header) ? header.slice(7) : '';
  if (sameSecret(given, token)) return true;
  if (given !== '') attempt.failed();
  sendAdminError(res, 401, 'unauthorized', 'Send Authorization: Bearer <TOLLGATE_ADMIN_TOKEN>.');
  return false;
}

async function postKey(deps: AdminDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = keyBody(await readJson(req));
  const field = (k: string): string | null => {
    const v = body[k];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') throw new RangeError(`${k} must be a string`);
    return v;
  };
  const now = Date.now();
  const expires = field('expires');
  const input = { user: field('user'), team: field('team'), project: field('project'), name: field('name'), expiresAt: expires === null ? null : parseExpiry(expires, now) };
  const problem = checkKeyInput(input);
  if (problem) return sendAdminError(res, 400, 'invalid_request', problem);
  sendJson(res, 201, await createKey(deps.storage.keys, input, now));
}

const KEY_FIELDS = ['user', 'team', 'project', 'name', 'expires'] as const;

/** A new key's body: an object of known fields only (a misspelt `tema` would make a key with no team). */
function keyBody(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new RangeError(`the body must be a JSON object with ${KEY_FIELDS.join(', ')}`);
  const unknown = Object.keys(body).filter((k) => !(KEY_FIELDS as readonly string[]).includes(k));
  if (unknown.length > 0) throw new RangeError(`${unknown.map(unknownField).join('; ')}; a key takes ${KEY_FIELDS.join(', ')}`);
  return body as Record<string, unknown>;
}

function unknownField(name: string): string {
  const near = closest(name, KEY_FIELDS);
  return `unknown field "${name}"${near ? ` (did you mean "${near}"?)` : ''}`;
}

export function window(query: URLSearchParams): { since?: number; until?: number } {
  return parseTimeWindow(query.get('since'), query.get('until'));
}

/** A report's window: without `until` it ends now, as `tollgate report`'s does. */
function reportWindow(query: URLSearchParams): { since?: number; until: number } {
  return parseReportWindow(query.get('since'), query.get('until'));
}

async function getReport(deps: AdminDeps, res: ServerResponse, query: URLSearchParams): Promise<void> {
  const by = reportParams(query);
  const twice = repeatedDimension(by);
  if (twice) throw new RangeError(`by: "${twice}" is given twice; name each dimension once`);
  if (by.includes('rule')) return getRuleReport(deps, res, query, by);
  const bad = by.find((d) => !isDimension(d));
  if (bad) throw new RangeError(`cannot group by "${bad}"`);
  await deps.flush();
  const format = queryFormat(query, ['json', 'csv']);
  const report = await runReport(deps.storage.ledger, { ...reportWindow(query), by: by.filter(isDimension) });
  if (format === 'csv') {
    const text = renderCsv(report);
    res.writeHead(200, { 'content-type': 'text/csv', 'content-length': Buffer.byteLength(text) });
    return void res.end(text);
  }
  const text = renderJson(report);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** `by=rule`: routing rules' hits and savings (docs/routing-rules.md); not combined with other dimensions. */
async function getRuleReport(deps: AdminDeps, res: ServerResponse, query: URLSearchParams, by: string[]): Promise<void> {
  if (by.length > 1) throw new RangeError('by=rule cannot be combined with other dimensions');
  const csv = queryFormat(query, ['json', 'csv']) === 'csv';
  await deps.flush();
  const report = await runRuleReport(deps.storage.ledger, reportWindow(query));
  const text = csv ? renderRuleCsv(report) : renderRuleJson(report);
  res.writeHead(200, { 'content-type': csv ? 'text/csv' : 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function getExport(deps: AdminDeps, res: ServerResponse, query: URLSearchParams): Promise<void> {
  checkParams(query, 'GET /admin/v1/export', ['since', 'until', 'format']);
  const format = queryFormat(query, deps.focus ? ['jsonl', 'csv', 'focus', 'focus-metadata'] : ['jsonl', 'csv']);
  // FOCUS's schema metadata, retrievable apart from the dataset as FOCUS requires.
  if (format === 'focus-metadata') return sendJson(res, 200, (await import('../focus/metadata.js')).focusMetadata(new Date(), []));
  // Read before the status goes out: a bad window is a 400, not a dropped connection.
  const w = window(query);
  await deps.flush();
  if (format === 'focus') return exportFocus(deps, res, w);
  const rows = deps.storage.ledger.scan(w)[Symbol.asyncIterator]();
  try {
    // The first page is read before the status goes out: storage failing now is a 503, not a 200 cut short.
    let next = await rows.next();
    res.writeHead(200, { 'content-type': format === 'csv' ? 'text/csv' : 'application/x-ndjson' });
    if (format === 'csv') res.write(csvHeader());
    // A client that left never drains: stop reading, or the scan (on SQLite, a read that
    // holds back every checkpoint, so the WAL grows) would stay open as long as the gateway.
    for (; !next.done && !res.destroyed; next = await rows.next()) if (!res.write(format === 'csv' ? toCsvLine(next.value) : toJsonLine(next.value))) await drainedOrClosed(res);
  } catch (err) {
    // After the status: the connection is closed without the chunked body's last chunk, which a
    // client reads as a failed transfer, never as a complete export.
    if (res.headersSent) res.destroy();
    throw err;
  } finally {
    await rows.return?.(undefined);
  }
  if (!res.destroyed) res.end();
}

/**
 * The window as a FOCUS 1.2 dataset in CSV, as `tollgate export --format focus` writes it (loaded
 * at the first such export: the gateway has no other use for it). A row FOCUS cannot express
 * (a RangeError naming it) is a 400 when it comes before the first record, and cuts the answer
 * short after: the status has gone out by then.
 */
async function exportFocus(deps: AdminDeps, res: ServerResponse, w: { since?: number; until?: number }): Promise<void> {
  const [ctx, { focusRecords }, { focusCsvHeader, focusCsvLine }] = await Promise.all([deps.focus!(), import('../focus/charges.js'), import('../focus/csv.js')]);
  const records = focusRecords(deps.storage.ledger.scan(w), ctx);
  let next = await records.next();
  res.writeHead(200, { 'content-type': 'text/csv', 'content-disposition': 'attachment; filename="focus.csv"', link: '</admin/v1/export?format=focus-metadata>; rel="describedby"' });
  res.write(focusCsvHeader());
  try {
    for (; !next.done && !res.destroyed; next = await records.next()) if (!res.write(focusCsvLine(next.value))) await drainedOrClosed(res);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    res.destroy();
    return;
  } finally {
    await records.return(undefined);
  }
  if (!res.destroyed) res.end();
}

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Claude Code's usage counters against the ledger, per session and model (docs/telemetry.md). */
async function getCrossCheck(deps: AdminDeps, res: ServerResponse, query: URLSearchParams): Promise<void> {
  checkParams(query, 'GET /admin/v1/telemetry/cross-check', ['since', 'until']);
  const w = window(query);
  await deps.flush();
  const [counters, ledger] = await Promise.all([deps.storage.telemetry.sumPoints(w), deps.storage.ledger.aggregate({ ...w, by: ['session', 'model'] })]);
  sendJson(res, 200, { data: crossCheck(counters, ledger) });
}

function importHooks(deps: AdminDeps): ImportHooks {
  const policy = deps.policy;
  return { price: deps.importPrice, catchUp: policy ? () => policy.catchUp() : undefined };
}
