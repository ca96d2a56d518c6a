import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../core/logger.js';
import { page, paragraph } from '../alerts/html-page.js';
import { GROUP_FILTER_FIELDS, groupFilterOf } from '../explain/explain.js';
import { forecastBudgets } from '../forecast/budgets.js';
import { isClientLeft } from '../gateway/read-body.js';
import { isStorageTrouble } from '../storage/storage-trouble.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import type { RateBook } from '../pricing/unit-rates.js';
import type { LedgerStore } from '../storage/ports.js';
import { renderDisabled, renderLogin } from '../ui/login-page.js';
import { SPANS, loadOverview, spanOf } from '../ui/overview.js';
import { renderOverview } from '../ui/overview-page.js';
import { sameSecret } from '../identity/same-secret.js';
import { type AuthThrottle, retryAfterSeconds, throttledMessage, throttledTry } from '../identity/auth-throttle.js';
import { clientOf } from '../identity/client-address.js';
import { clearedSessionCookie, sessionCookie, signedIn } from '../ui/session.js';
import { knownBudgets } from './admin-policy.js';
import { FormTooLarge, readForm } from './form-body.js';
import { sendPage } from './page-response.js';

export interface UiDeps {
  /** TOLLGATE_ADMIN_TOKEN: the dashboard signs in with it, and is off without it. */
  token: string | undefined;
  ledger: LedgerStore;
  flush: () => Promise<void>;
  rates?: RateBook;
  policy?: PolicyRuntime;
  /** Served over HTTPS: the session cookie is then Secure. */
  secure: boolean;
  /** Wrong tokens at sign-in counted per client address; uncounted when absent. */
  throttle?: AuthThrottle;
  log: Logger;
  now?: () => number;
}

const MAX_FORM = 4 * 1024;

/**
 * Whether a TLS-terminating proxy in front says the browser's side is HTTPS (`X-Forwarded-Proto`,
 * or RFC 7239's `Forwarded: proto=https`): the cookie is then Secure too. Believing a client that
 * sends it itself over plain HTTP only makes its cookie Secure, which its browser then drops.
 */
export function forwardedHttps(req: IncomingMessage): boolean {
  const xfp = req.headers['x-forwarded-proto'];
  const first = (typeof xfp === 'string' ? xfp : xfp?.[0])?.split(',')[0]?.trim().toLowerCase();
  if (first !== undefined) return first === 'https';
  return /(?:^|[;,\s])proto="?https"?(?:$|[;,\s])/i.test(req.headers.forwarded ?? '');
}

/** `/ui`: the dashboard page, `/ui/login` and `/ui/logout` (both POST, from the pages' forms). */
export async function handleUi(deps: UiDeps, req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
  const method = req.method ?? 'GET';
  const now = deps.now?.() ?? Date.now();
  try {
    if (!deps.token) return sendPage(res, 503, renderDisabled());
    if (path === '/ui/login' && method === 'POST') {
      const attempt = throttledTry(deps.throttle, clientOf(req));
      // Refused before the form is read or the token compared: whatever it holds.
      if (attempt.wait > 0) return sendPage(res, 429, renderLogin(throttledMessage(attempt.wait)), { 'retry-after': retryAfterSeconds(attempt.wait), connection: 'close' });
      const form = await readForm(req, MAX_FORM);
      const given = form.get('token') ?? '';
      const view = viewOf(form.get('view'));
      if (!sameSecret(given, deps.token)) {
        if (given !== '') attempt.failed();
        return sendPage(res, 401, renderLogin('That is not the admin token.', view));
      }
      return redirect(res, view === '' ? '/ui' : `/ui?${view}`, sessionCookie(deps.token, now, deps.secure || forwardedHttps(req)));
    }
    if (path === '/ui/logout' && method === 'POST') return redirect(res, '/ui', clearedSessionCookie(deps.secure || forwardedHttps(req)));
    // The form's address, opened again from the address bar after a failed sign-in.
    if ((path === '/ui/login' || path === '/ui/logout') && (method === 'GET' || method === 'HEAD')) return redirect(res, '/ui');
    if (path !== '/ui' && path !== '/ui/') return sendPage(res, 404, page('Not found', paragraph('The dashboard is at /ui.')));
    if (method !== 'GET' && method !== 'HEAD') return sendPage(res, 405, page('Method not allowed', paragraph('Open /ui in a browser.')), { allow: 'GET, HEAD' });
    if (!signedIn(req.headers.cookie, deps.token, now)) return sendPage(res, 200, renderLogin(undefined, viewOf(query.toString())));
    const once = (field: string) => {
      const values = query.getAll(field);
      if (values.length > 1) throw new RangeError(`give ${field} once, not ${values.length} times`);
      return values[0];
    };
    unknownParameters(query);
    const span = spanOf(once('span') ?? null);
    const only = groupFilterOf(once);
    await deps.flush();
    const policy = deps.policy;
    const forecasts = policy && (async (at: number) => forecastBudgets(deps.ledger, { ...policy.rules.current(), budgets: await knownBudgets(policy) }, { timeZone: policy.settings.timeZone, keyPrefix: policy.settings.keyPrefix, now: at }));
    const overview = await loadOverview({ ledger: deps.ledger, rates: deps.rates ?? (() => undefined), forecasts }, span, now, only);
    sendPage(res, 200, renderOverview(overview, policy?.settings.timeZone ?? 'UTC'));
  } catch (err) {
    // A client that hung up mid-post has no one left to answer: not a dashboard failure.
    if (res.headersSent || isClientLeft(err)) return void res.destroy();
    if (err instanceof FormTooLarge) return sendPage(res, 413, renderLogin(`The form is larger than ${MAX_FORM / 1024} KB.`), { connection: 'close' });
    if (err instanceof RangeError) return sendPage(res, 400, page('Not understood', paragraph(err.message)));
    if (isStorageTrouble(err)) {
      deps.log.warn('dashboard: storage unavailable', { path, err: String(err) });
      return sendPage(res, 503, page('Storage unavailable', paragraph('Tollgate cannot reach its storage now; the gateway goes on serving and keeps its rows in the spool. Reload in a moment.')), { 'retry-after': '5' });
    }
    deps.log.error('dashboard failed', { path, err: String(err) });
    sendPage(res, 500, page('Something went wrong', paragraph('Tollgate could not read the ledger for this page; the gateway log has the details.')));
  }
}

/** The query parameters a view takes: `?project=web` or `?since=2026-11-01` showed everyone's spend as if it had narrowed. */
const VIEW_PARAMETERS: ReadonlySet<string> = new Set(['span', ...GROUP_FILTER_FIELDS]);

function unknownParameters(query: URLSearchParams): void {
  const unknown = [...new Set(query.keys())].filter((k) => !VIEW_PARAMETERS.has(k));
  if (unknown.length > 0) throw new RangeError(`unknown parameter ${unknown.map((k) => JSON.stringify(k)).join(', ')}: the dashboard takes span (${Object.keys(SPANS).join(', ')}) and one of ${GROUP_FILTER_FIELDS.join(', ')}; other groupings and dates are in \`tollgate report\``);
}

/**
 * The view a sign-in returns to: a query of /ui, read and written again as one, so that the
 * address it makes is always /ui's (never another site's, whatever the form held).
 */
function viewOf(raw: string | null | undefined): string {
  return raw ? new URLSearchParams(raw).toString() : '';
}

/** 303 See Other (after a form's POST, so that reloading the page does not post it again), setting `cookie` when given. */
function redirect(res: ServerResponse, to: string, cookie?: string): void {
  sendPage(res, 303, page('Moved', paragraph('Continue to the dashboard.')), cookie === undefined ? { location: to } : { location: to, 'set-cookie': cookie });
}
