import type { Agent as HttpAgent, IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { type CacheSettings, DEFAULT_CACHE_SETTINGS, cacheRuleMatcher, cacheStep } from '../cache-analysis/gateway.js';
import { FREE_APIS } from '../core/api.js';
import { GatewayError } from '../core/errors.js';
import { headerValue } from '../core/header-text.js';
import { newRequestId } from '../core/ids.js';
import type { LedgerRow } from '../core/ledger-row.js';
import type { Logger } from '../core/logger.js';
import { type AuthPolicy, identify } from '../identity/identify.js';
import type { KeyResolver } from '../identity/key-resolver.js';
import { type PriceFn, type RequestFacts, newFacts } from '../metering/build-row.js';
import type { OpenJournal } from './record.js';
import { admitRequest, keepsModel } from './admit-request.js';
import type { FinishedResponse } from '../metering/background-usage.js';
import { StoredResponses } from '../metering/stored-responses.js';
import type { Enforcer } from '../policy/enforcer.js';
import { overrideBody } from './body-overrides.js';
import { adapterFor, lookupRoute, preferredDialects } from '../providers/index.js';
import { planRoute } from '../routing/rules/plan.js';
import type { RuleRouter } from '../routing/rules/router.js';
import type { HeaderBag } from '../providers/types.js';
import type { Router } from '../routing/router.js';
import { forwardedQuery, headerBag, upstreamHeaders } from './headers.js';
import { readBody } from './read-body.js';
import { inspectBody } from './inspect-body.js';
import { requestFailed, requestFinish } from './request-end.js';
import type { BodyRoom } from './body-room.js';
import { guessDialect, splitProviderPrefix, unknownRoute } from './routes.js';
import { checkProviderKey, keySource } from './provider-keys.js';
import { routePlans } from './route-plan.js';
import type { ProviderTable } from './select-provider.js';
import { admitBatch, createsBatch } from './batch-admission.js';
import { batchLines } from './objects/batch-lines.js';
import { relay } from './relay.js';
import { isUpload, streamUpload } from './upload.js';
import { parseJson, sendError } from './request-errors.js';
import { forClient } from './client-errors.js';
import { detectClient } from '../identity/client.js';
import { clientOf } from '../identity/client-address.js';
import { requestDigest } from './request-digest.js';
import { serveRouted } from './routed.js';
import { relayTranslated, translatable } from './translated.js';
import { isResponsesShapedChat } from '../translation/index.js';
import { attribute, writeUpstreamCredential } from './caller.js';
import type { ObjectOwners } from './objects/owners.js';
import { guardObjects, streamedResponse } from './objects/guard.js';
import { type ObjectHold, soleKeeperOf, touchesObjects } from './objects/access.js';
import { routeForBody } from './json-on-form-route.js';
import type { Exchange, Held, Served } from './exchange.js';
import { serveList } from './objects/lists.js';

export interface GatewayDeps {
  providers: ProviderTable;
  keys: KeyResolver;
  auth: AuthPolicy;
  price: PriceFn;
  /** `afterJournal`, when present, runs its callback once every row recorded so far is journaled. */
  ledger: { record(row: LedgerRow): void; afterJournal?(done: () => void): void };
  /** Where requests sent upstream are journaled until their rows are recorded; absent, a crash leaves them none. */
  open?: OpenJournal;
  agent: Dispatcher;
  /** The agent an upstream WebSocket connects through (a proxy's tunnel), or undefined to connect directly. */
  webSocketAgent?: (url: string) => HttpAgent | undefined;
  maxBodyBytes: number;
  /** `server.first_byte_timeout_ms`: a provider's try when a routing rule's fallback makes it one of several. */
  firstByteMs: number;
  /** A file upload's own limit (`server.max_upload_mb`; 512 MB when absent): its body is streamed, never held (upload.ts). */
  maxUploadBytes?: number;
  /** Where the bodies of callers without a Tollgate key are counted while held (`server.unverified_bodies_mb`); uncounted when absent. */
  unverifiedBodies?: BodyRoom;
  log: Logger;
  /** Budgets, rate limits and model policy; absent, every request is admitted as is. */
  policy?: Enforcer;
  /** Configured routes (deployments, retries, fallbacks, health); absent or unmatched, the plain single-provider path. */
  router?: Router;
  /** Routing rules (docs/routing-rules.md); absent when none are configured, which costs nothing. */
  rules?: RuleRouter;
  /** Prompt-prefix hashing and `cache: auto`; absent, prefixes are hashed and nothing is added. */
  cache?: CacheSettings;
  /** Takes a background response's usage, seen when it is looked up finished (BackgroundUsage.finished). */
  backgroundUsage?: (r: FinishedResponse) => void;
  /** Takes a Message Batch's results downloaded, each succeeded one billed on its own row (BatchResultRows.downloaded). */
  batchResults?: (f: RequestFacts) => void;
  /** True once shutdown has cut the connections still open: a request ended by that was truncated by the gateway, not abandoned by its client. */
  cutByShutdown?: () => boolean;
  /** Who made each stored object, and `auth.stored_objects`; absent, objects are neither recorded nor guarded. */
  objects?: ObjectOwners;
}

export type Gateway = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * The proxy: identify the caller, pick the provider, forward the request, stream the
 * response back untouched while a tap reads its usage, then hand one ledger row to
 * the writer before the response completes. Never throws.
 */
export function createGateway(deps: GatewayDeps): Gateway {
  const cache = deps.cache ?? DEFAULT_CACHE_SETTINGS;
  const cacheMatch = cacheRuleMatcher(cache.rules);
  const stored = new StoredResponses(deps.backgroundUsage);
  const soleKeeper = soleKeeperOf(deps.providers.all, deps.router !== undefined || deps.rules !== undefined);
  return async (req, res) => {
    const started = performance.now();
    const ts = Date.now();
    const id = newRequestId(ts);
    res.setHeader('x-tollgate-request-id', id);
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const { provider: explicit, path } = splitProviderPrefix(q < 0 ? rawUrl : rawUrl.slice(0, q));
    const search = q < 0 ? '' : rawUrl.slice(q + 1);
    const headers = headerBag(req.headers);
    const dialects = preferredDialects(headers, explicit === undefined ? undefined : deps.providers.byName(explicit)?.dialect, search);
    const found = lookupRoute(req.method ?? 'GET', path, dialects);
    if (found.kind !== 'match') {
      // No money can be involved, so no ledger row: just a readable error.
      const allow = found.kind === 'wrong_method' ? found.allow.join(', ') : '';
      const err = allow
        ? new GatewayError('method_not_allowed', `${req.method} is not supported on ${path}; use ${allow}.`, { headers: { allow } })
        : forClient(unknownRoute(req.method ?? 'GET', path, dialects), detectClient(headers));
      req.resume();
      sendError(res, adapterFor(guessDialect(path, dialects[0])), err, id);
      return;
    }
    const route = routeForBody(found.route, headers);
    const adapter = adapterFor(route.dialect);
    const facts = newFacts(id, ts, route.api);
    const held: Held = {};
    const owned: ObjectHold = {};
    const finish = requestFinish(deps, stored, soleKeeper, { route, facts, started, held, owned });
    try {
      await forward(deps, req, res, { route, adapter, facts, headers, explicit, path, search, started, finish, held, owned, cache, cacheMatch });
    } catch (err) {
      requestFailed(deps, req, res, id, { adapter, facts, headers, finish }, err);
    }
  };
}

async function forward(deps: GatewayDeps, req: IncomingMessage, res: ServerResponse, x: Exchange): Promise<void> {
  const { route, adapter, facts, headers } = x;
  if (isUpload(route, headers)) return streamUpload(deps, req, res, x);
  const query = new URLSearchParams(x.search);
  // From the headers alone, before the body: a request without a key, or with one that is none, gets its 401 without
  // the gateway holding up to server.max_body_mb of it. A known key's refusal (revoked, bad tags) waits: its row names the model.
  const cred = adapter.readCredential(headers, query);
  const who = await identify(cred, headers, deps.keys, deps.auth, req);
  attribute(facts, who);
  // A caller without a Tollgate key is not known to be anyone: what it can make the gateway hold is bounded (body-room.ts).
  const hold = cred === undefined || who.upstreamKey.kind === 'passthrough' ? deps.unverifiedBodies?.hold(clientOf(req)) : undefined;
  if (hold) {
    x.held.body = hold;
    facts.answered = hold.release;
  }
  let badBody: GatewayError | undefined;
  let raw: Buffer | undefined;
  try {
    raw = route.noBody ? undefined : await readBody(req, deps.maxBodyBytes, hold);
  } catch (err) {
    // Refused, like a malformed body, once the caller is known from the headers: its row names who sent it.
    if (!(err instanceof GatewayError && err.code === 'body_too_large')) throw err;
    badBody = err;
  }
  const inspected = inspectBody(req, x, query, raw, badBody, hold, deps.maxBodyBytes);
  ({ raw, badBody } = inspected);
  const received = raw;
  const { json } = inspected;
  let { info } = inspected;

  if (who.refusal) throw who.refusal;
  const caller = { cred, who };
  // A body that is not JSON, or not a request of this API, is refused once the caller is
  // known: its row names who sent it, and a bad key is reported first, as the providers do.
  if (badBody) throw badBody;
  const guarded = deps.objects && touchesObjects(route.api) ? guardObjects(deps.objects, x.owned, route, json, who, raw) : undefined;
  if (guarded) await guarded;
  // A streamed Response's or interaction's id reaches its client in the first event: known from then on, not only at the end (a continued interaction's next hop names it).
  if (x.owned.owner && !x.owned.unstored && info.stream && (route.api === 'openai.responses' || route.api === 'gemini.interactions')) info.madeObject = streamedResponse(deps.objects!, x.owned.owner, facts.ts, route.api);

  const bodyModel = info.model;
  let explicit = x.explicit;
  // Where a model other than the one asked for would be served: a routing rule's target, a budget's downgrade.
  const select = (model: string, name: string | undefined) => {
    const p = deps.providers.target(route.dialect, model, name);
    if (p.dialect !== route.dialect && !translatable(route.api, json, p, model)) throw new GatewayError('not_translatable', `${p.name} cannot take this request translated`);
    return p;
  };
  if (deps.rules && raw !== undefined && !FREE_APIS.has(route.api)) {
    // Before the provider is chosen: an enforced rule changes the model (and maybe the provider) as if the client had asked.
    const plan = planRoute(deps.rules, { ...who, api: route.api, model: info.model, headers, json, maxOutputTokens: info.maxOutputTokens }, {
      allowed: (model) => deps.policy === undefined || deps.policy.modelServed(who, model) !== undefined,
      select: (model, name) => select(model, name ?? x.explicit),
      deployment: (name, model) => {
        const d = deps.router?.deployment(name);
        return d && d.dialect === route.dialect ? { name: d.provider, catalog: d.catalog, upstreamModel: d.model ?? model } : undefined;
      },
    });
    if (plan) {
      x.held.route = plan;
      facts.routeRule = plan.rule;
      facts.routeMode = plan.mode;
      if (plan.mode === 'enforce') {
        info = { ...info, model: plan.model };
        explicit = plan.provider ?? explicit;
        res.setHeader('x-tollgate-route-rule', plan.rule);
      }
    }
  }

  const free = FREE_APIS.has(route.api);
  const resolve = (model: string): Served => {
    // A routed model is priced (for budget reservations) at the deployment a rule pinned, else at the one its route tries first
    // (lowest `order`). A request no budget sees keeps its route's first in the file, where uploads go (upload.ts).
    const pinned = x.held.route?.deployment;
    const r = pinned === undefined && explicit === undefined ? deps.router?.routeFor(route.dialect, model) : undefined;
    const d = pinned !== undefined ? deps.router?.deployment(pinned) : r && (free ? r.deployments[0] : deps.router!.lead(r));
    const p = d ? (deps.providers.byName(d.provider) ?? deps.providers.select(route.dialect, model, explicit)) : deps.providers.select(route.dialect, model, explicit);
    return { provider: p.name, catalogProvider: p.catalog, upstream: p };
  };
  const first = resolve(info.model);
  let provider = first.upstream;
  // Set now so that a refused request's row names the provider it would have gone to.
  facts.provider = provider.name;
  let path = x.path;
  let capOutputTokens: number | undefined;
  const budgeted = raw !== undefined && !free ? deps.policy : undefined;
  // Without rules nothing is reserved; the admission only lets budgets made while the request runs charge it.
  if (budgeted?.admitWithoutRules()) x.held.admission = budgeted.unruled(facts.id, who, info.model, first);
  else if (budgeted && raw !== undefined) {
    const admission = await budgeted.admit(admitRequest(facts.id, who, info, headers, { bytes: info.textBytes ?? raw.length, json, api: route.api }, resolve, (model) => select(model, explicit)));
    x.held.admission = admission;
    provider = admission.served.upstream;
    facts.pool = admission.pool;
    for (const [k, v] of Object.entries(admission.headers)) res.setHeader(k, v);
    capOutputTokens = admission.capOutputTokens;
    info = { ...info, model: admission.model, maxOutputTokens: capOutputTokens ?? info.maxOutputTokens };
  } else if (createsBatch(route)) {
    const apiKey = who.upstreamKey.kind === 'passthrough' ? who.upstreamKey.key : provider.apiKey;
    const admission = await admitBatch({ policy: deps.policy, lines: batchLines(deps.objects, x.owned, route, json), agent: deps.agent, log: deps.log, id: facts.id, route, json, caller: who, provider, apiKey });
    x.held.batch = admission;
    for (const [k, v] of Object.entries(admission?.headers ?? {})) res.setHeader(k, v);
  }
  if (raw !== undefined && (info.model !== bodyModel || capOutputTokens !== undefined)) {
    ({ body: raw, path } = overrideBody({ route, json, raw, contentType: headers['content-type'] }, path, { model: info.model !== bodyModel ? info.model : undefined, maxOutputTokens: capOutputTokens }));
    if (x.held.route?.mode === 'enforce') res.setHeader('x-tollgate-model-rewritten', headerValue(`${bodyModel}->${info.model}`));
    if (info.model !== bodyModel) facts.sentModel = info.model;
  }
  facts.provider = provider.name;
  facts.catalogProvider = provider.catalog;
  let cacheEdited = false;
  if (raw !== undefined) {
    const step = cacheStep(x.cache, x.cacheMatch, { api: route.api, provider: provider.name, model: info.model, json, raw });
    raw = step.raw;
    facts.prefix = step.prefix;
    cacheEdited = step.auto;
    if (step.auto) facts.tags = { ...facts.tags, cache: 'auto' };
  }

  // What the row needs from the body (prompt-prefix hashes, last-turn hash, input estimate), made once
  // while the upstream works on the request, rather than at the end of the response; then the parsed body can go.
  const digest = requestDigest(json, facts);
  setImmediate(digest.run);
  facts.inputEstimate = digest.inputEstimate;
  deps.open?.add(facts);
  const finish = (journaled?: () => void) => {
    digest.run();
    x.finish(journaled);
  };
  const passthrough = who.upstreamKey.kind === 'passthrough';
  if (provider.dialect !== route.dialect || (route.api === 'openai.chat' && isResponsesShapedChat(json))) {
    checkProviderKey(provider, keySource(who, deps.auth));
    // A provider of another dialect (`translate_from`), or a chat request that is a Responses request (Cursor's): the one translated step.
    // It keeps no chat completion: the answer's id is made up.
    x.owned.storedChat = false;
    const body = raw === received ? json : parseJson(raw!);
    return relayTranslated({ agent: deps.agent, res, route, info, facts, body, headers, who, provider, started: x.started, finish, inputEstimate: digest.inputEstimate });
  }
  const routes = raw === undefined ? undefined : routePlans(deps, { route, rule: x.held.route, explicit: x.explicit, provider: explicit, asked: bodyModel, who, keep: keepsModel(headers), passthrough, json }, provider, info.model);
  if (routes !== undefined) {
    const clientHeaders = upstreamHeaders(headers);
    // Returned, not awaited, here and on the plain path below: this function's locals, the request body raw and parsed, need not live as
    // long as the stream; the routed exchange lets its own references go once an answer is delivered.
    return serveRouted({
      agent: deps.agent,
      ...routes,
      res,
      adapter,
      route,
      info,
      json,
      raw: raw!,
      cacheEdited,
      path,
      query,
      search: x.search,
      headers: clientHeaders,
      credential: (h, q, apiKey) => writeUpstreamCredential(adapter, h, q, caller, apiKey),
      passthrough: caller.who.upstreamKey.kind === 'passthrough',
      capOutputTokens: x.held.admission?.capOutputTokens,
      checkAttempt: x.held.admission?.attempt,
      facts,
      inputEstimate: digest.inputEstimate,
      started: x.started,
      finish,
    });
  }

  checkProviderKey(provider, keySource(who, deps.auth));
  const rewrite = raw === undefined ? undefined : adapter.rewriteRequest(route, info, raw);
  const out: HeaderBag = Object.assign(upstreamHeaders(headers), provider.headers);
  // A client's own key goes back where the client put it; a configured key goes where the dialect expects an API key.
  writeUpstreamCredential(adapter, out, query, caller, provider.apiKey);
  const qs = forwardedQuery(x.search, query);
  const url = provider.baseUrl + path + (qs ? `?${qs}` : '');

  facts.attempts = 1;
  if (x.owned.list) return serveList({ agent: deps.agent, res, route, facts, url, headers: out, objects: deps.objects!, owner: x.owned.owner!, gatewayBase: info.gatewayBase, finish });
  const upstream = { url, method: route.method, headers: out, body: rewrite?.body ?? raw };
  return relay({ agent: deps.agent, upstream, res, adapter, route, info, injectedStreamUsage: rewrite?.injectedStreamUsage ?? false, facts, inputEstimate: digest.inputEstimate, started: x.started, finish }).then(() => undefined);
}
