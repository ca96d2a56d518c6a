import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Agent } from 'undici';
import { GatewayError, toGatewayError } from '../core/errors.js';
import { newRequestId } from '../core/ids.js';
import type { LedgerRow } from '../core/ledger-row.js';
import type { Logger } from '../core/logger.js';
import { type AuthPolicy, identify } from '../identity/identify.js';
import type { KeyResolver } from '../identity/key-resolver.js';
import { type PriceFn, type RequestFacts, buildRow, newFacts } from '../metering/build-row.js';
import { lastTurnHash } from '../metering/last-turn.js';
import type { Admission, Enforcer } from '../policy/enforcer.js';
import { applyOverrides } from '../providers/shared/overrides.js';
import { adapterFor, lookupRoute } from '../providers/index.js';
import type { DialectAdapter, HeaderBag, RequestInfo, RouteMatch } from '../providers/types.js';
import { headerBag, upstreamHeaders } from './headers.js';
import { readBody } from './read-body.js';
import { guessDialect, splitProviderPrefix } from './routes.js';
import type { ProviderTable, UpstreamProvider } from './select-provider.js';
import { relay } from './relay.js';

export interface GatewayDeps {
  providers: ProviderTable;
  keys: KeyResolver;
  auth: AuthPolicy;
  price: PriceFn;
  /** `afterJournal`, when present, runs its callback once every row recorded so far is journaled. */
  ledger: { record(row: LedgerRow): void; afterJournal?(done: () => void): void };
  agent: Agent;
  maxBodyBytes: number;
  log: Logger;
  /** Budgets, rate limits and model policy; absent, every request is admitted as is. */
  policy?: Enforcer;
}

/** APIs that cost nothing: no budget or rate limit applies to them. */
const FREE_APIS = new Set(['openai.models', 'anthropic.count_tokens']);

interface Served {
  provider: string;
  catalogProvider: string | undefined;
  upstream: UpstreamProvider;
}

export type Gateway = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * The proxy: identify the caller, pick the provider, forward the request, stream the
 * response back untouched while a tap reads its usage, then hand one ledger row to
 * the writer before the response completes. Never throws.
 */
export function createGateway(deps: GatewayDeps): Gateway {
  return async (req, res) => {
    const started = performance.now();
    const ts = Date.now();
    const id = newRequestId(ts);
    res.setHeader('x-tollgate-request-id', id);
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const { provider: explicit, path } = splitProviderPrefix(q < 0 ? rawUrl : rawUrl.slice(0, q));
    const search = q < 0 ? '' : rawUrl.slice(q + 1);
    const found = lookupRoute(req.method ?? 'GET', path);
    if (found.kind !== 'match') {
      // No money can be involved, so no ledger row: just a readable error.
      const allow = found.kind === 'wrong_method' ? found.allow.join(', ') : '';
      const err = allow
        ? new GatewayError('method_not_allowed', `${req.method} is not supported on ${path}; use ${allow}.`, { headers: { allow } })
        : new GatewayError('unknown_route', `Tollgate does not serve ${req.method} ${path}.`);
      req.resume();
      sendError(res, adapterFor(guessDialect(path)), err, id);
      return;
    }
    const { route } = found;
    const adapter = adapterFor(route.dialect);
    const facts = newFacts(id, ts, route.api);
    const held: { admission?: Admission<Served> } = {};
    const finish = (journaled?: () => void) => {
      facts.latencyMs = Math.round(performance.now() - started);
      const row = record(deps, facts);
      // Settlement runs in the background: it never delays the response.
      held.admission?.settle(row.costPicos, row.inputTokens + row.outputTokens);
      if (!journaled) return;
      if (deps.ledger.afterJournal) deps.ledger.afterJournal(journaled);
      else journaled();
    };
    try {
      await forward(deps, req, res, { route, adapter, facts, explicit, path, search, started, finish, held });
    } catch (err) {
      const e = toGatewayError(err);
      if (e.code === 'internal') deps.log.error('request failed', { id, err: describe(e.cause ?? e) });
      if (!res.headersSent) {
        req.resume();
        sendError(res, adapter, e, id);
        facts.status = e.status;
      } else {
        res.destroy();
      }
      facts.outcome = e.outcome;
      facts.errorType = e.code;
      finish();
    }
  };
}

interface Exchange {
  route: RouteMatch;
  adapter: DialectAdapter;
  facts: RequestFacts;
  explicit: string | undefined;
  path: string;
  search: string;
  started: number;
  finish: (journaled?: () => void) => void;
  held: { admission?: Admission<Served> };
}

async function forward(deps: GatewayDeps, req: IncomingMessage, res: ServerResponse, x: Exchange): Promise<void> {
  const { route, adapter, facts } = x;
  const headers = headerBag(req.headers);
  const query = new URLSearchParams(x.search);
  let raw = route.noBody ? undefined : await readBody(req, deps.maxBodyBytes);
  const json = raw === undefined ? undefined : parseJson(raw);
  let info: RequestInfo = raw === undefined ? { model: route.model ?? '', stream: false } : adapter.inspectRequest(route, json);
  facts.modelRequested = info.model;
  facts.stream = info.stream;

  const cred = adapter.readCredential(headers, query);
  const who = await identify(cred, headers, deps.keys, deps.auth);
  Object.assign(facts, { keyId: who.keyId, user: who.user, team: who.team, project: who.project, sessionId: who.sessionId, client: who.client, tags: who.tags });

  const resolve = (model: string): Served => {
    const p = deps.providers.select(route.dialect, model, x.explicit);
    return { provider: p.name, catalogProvider: p.catalog, upstream: p };
  };
  let provider = resolve(info.model).upstream;
  // Set now so that a refused request's row names the provider it would have gone to.
  facts.provider = provider.name;
  let path = x.path;
  if (deps.policy && raw !== undefined && !FREE_APIS.has(route.api)) {
    const admission = await deps.policy.admit({
      id: facts.id,
      caller: who,
      model: info.model,
      keep: headers['x-tollgate-model-override']?.trim().toLowerCase() === 'keep',
      bodyBytes: raw.length,
      json,
      maxOutputTokens: info.maxOutputTokens,
      resolve,
    });
    x.held.admission = admission;
    provider = admission.served.upstream;
    facts.pool = admission.pool;
    for (const [k, v] of Object.entries(admission.headers)) res.setHeader(k, v);
    const model = admission.model !== info.model ? admission.model : undefined;
    if (model !== undefined || admission.capOutputTokens !== undefined) {
      const changed = applyOverrides(route, json, path, { model, maxOutputTokens: admission.capOutputTokens });
      raw = changed.body;
      path = changed.path;
      info = { ...info, model: admission.model, maxOutputTokens: admission.capOutputTokens ?? info.maxOutputTokens };
    }
  }
  facts.provider = provider.name;
  facts.catalogProvider = provider.catalog;

  const rewrite = raw === undefined ? undefined : adapter.rewriteRequest(route, info, raw);
  const out: HeaderBag = Object.assign(upstreamHeaders(headers), provider.headers);
  // A client's own key goes back where the client put it; a configured key goes where the dialect expects an API key.
  if (who.upstreamKey.kind === 'passthrough') adapter.writeCredential(out, query, who.upstreamKey.key, cred?.where);
  else if (provider.apiKey !== undefined) adapter.writeCredential(out, query, provider.apiKey, undefined);
  else removeCredential(out, query, cred?.where);
  const qs = query.toString();
  const url = provider.baseUrl + path + (qs ? `?${qs}` : '');

  facts.attempts = 1;
  const upstream = { url, method: route.method, headers: out, body: rewrite?.body ?? raw };
  // Hashed as the row is built, after the response: off the path to the first byte.
  const finish = (journaled?: () => void) => {
    facts.lastTurnHash = lastTurnHash(json);
    x.finish(journaled);
  };
  await relay({ agent: deps.agent, upstream, res, adapter, route, info, rewrite, facts, json, started: x.started, finish });
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new GatewayError('invalid_json', `The request body is not valid JSON: ${(err as Error).message}`);
  }
}

function removeCredential(h: HeaderBag, query: URLSearchParams, where: string | undefined): void {
  if (where === 'query-key') query.delete('key');
  else if (where) delete h[where];
}

function sendError(res: ServerResponse, adapter: DialectAdapter, err: GatewayError, id: string): void {
  const r = adapter.renderError(err, id);
  res.writeHead(r.status, { ...r.headers, 'content-length': Buffer.byteLength(r.body) });
  res.end(r.body);
}

function record(deps: GatewayDeps, facts: RequestFacts): LedgerRow {
  let row: LedgerRow;
  try {
    row = buildRow(facts, deps.price);
  } catch (err) {
    // Pricing must never cost us the row: record it unpriced instead.
    deps.log.error('pricing failed; recording the row unpriced', { id: facts.id, err: String(err) });
    row = buildRow(facts, () => ({ costPicos: null, unpriced: true }));
  }
  deps.ledger.record(row);
  return row;
}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : JSON.stringify(err);
}
