import { streamedErrorStatus } from '../providers/shared/upstream-error.js';
import type { ServerResponse } from 'node:http';
import { errors } from '../egress/undici-core.js';
import { GatewayError, toGatewayError } from '../core/errors.js';
import { zeroUsage } from '../core/usage.js';
import type { RequestFacts } from '../metering/build-row.js';
import type { DialectAdapter, HeaderBag, RequestInfo, RouteMatch } from '../providers/types.js';
import type { Admission, AttemptVerdict, Served } from '../policy/admission.js';
import type { RoutePlan, Router } from '../routing/router.js';
import { mayRetry, triggerForStatus } from '../routing/retry.js';
import type { Candidate } from '../routing/select.js';
import type { RetryPolicy, RetryTrigger } from '../routing/types.js';
import type { Dispatcher } from 'undici';
import { overrideBody } from './body-overrides.js';
import { clientResponseHeaders, forwardedQuery } from './headers.js';
import { type RelayResult, relay } from './relay.js';
import { AttemptTimeout, type UpstreamRequest } from './upstream.js';

export interface RoutedExchange {
  agent: Dispatcher;
  router: Router;
  plan: RoutePlan;
  res: ServerResponse;
  adapter: DialectAdapter;
  route: RouteMatch;
  info: RequestInfo;
  /** Let go (with `raw`) once an answer goes to the client: a stream may stay open for minutes. */
  json: unknown;
  /** The body as admitted (policy rewrites applied). */
  raw: Buffer | undefined;
  /** `raw` carries `cache: auto` breakpoints that `json` lacks: a body re-serialised for another model starts from `raw`. */
  cacheEdited: boolean;
  path: string;
  query: URLSearchParams;
  /** The query as the client sent it (see forwardedQuery). */
  search: string;
  /** Upstream headers without a credential. */
  headers: HeaderBag;
  /** Writes the credential for a deployment into headers and query. */
  credential(h: HeaderBag, q: URLSearchParams, apiKey: string | undefined): void;
  /** The client's own provider key goes upstream, not a deployment's: a 401 or 403 is then the client's. */
  passthrough: boolean;
  /** The output cap policy imposed at admission, to keep when a fallback re-serialises the body. */
  capOutputTokens: number | undefined;
  /** Budgets and rate limits of the model and provider each attempt goes to (absent without a policy). */
  checkAttempt: Admission<Served>['attempt'] | undefined;
  facts: RequestFacts;
  /** See RelayArgs.inputEstimate. */
  inputEstimate: () => number | undefined;
  started: number;
  finish: (journaled?: () => void) => void;
  /** Where a request a routing rule moved goes once the rule's target is exhausted (absent: nowhere). */
  fallback?: RuleFallback;
}

/** The model the client asked for, as a routing rule's fallback: its plan, and the headers and facts that change with it. */
export interface RuleFallback {
  plan: RoutePlan;
  /** The model it serves (model policy's rewrite of the one asked for, if any). */
  model: string;
  /** `x-tollgate-model-rewritten` then: model policy's rewrite, or none. */
  rewritten: string | undefined;
}

type Held = Extract<RelayResult, { kind: 'held' }> & { c: Candidate };
type Refusal = Extract<AttemptVerdict, { ok: false }>;

/**
 * Serves a request through its route: picks a deployment, relays, and while nothing has
 * reached the client, retries or falls back on a 429, 5xx, 529, connection failure or
 * timeout (or a 200 stream failing so before its output), waiting out `retry-after` and
 * rate-limit resets within the configured bounds; then, for a routing rule's target, goes on
 * to the model the client asked for. Once a byte is sent the answer is final. Every try is
 * recorded in the facts.
 */
export async function serveRouted(x: RoutedExchange): Promise<void> {
  const { router, res, facts } = x;
  let plan = x.plan;
  let policy = plan.route.retry;
  let fallback = x.fallback;
  // Set once the rule's target is exhausted, until the fallback's first try says so in the headers and row.
  let switched: RuleFallback | undefined;
  // Tries made under the rule's target, before its fallback: attempts are numbered on from them.
  let before = 0;
  // Rate-limit accounting needs a token estimate without walking the body: a token per four bytes, plus the output cap of each choice.
  const tokens = Math.ceil((x.raw?.length ?? 0) / 4) + (x.info.maxOutputTokens ?? 0) * (x.info.choices ?? 1);
  let queueDeadline = Date.now() + plan.route.queue.maxWaitMs;
  // When the waits since the last try began: waits in a row are one wait before the next try (a half-open breaker's probe in flight says "ask again in 100 ms" for as long as it lasts).
  let waitingSince: number | undefined;
  const bodies = new Map<string, { body: Buffer; path: string }>();
  const ownKey = (c: Candidate) => !x.passthrough && c.d.apiKey !== undefined;
  const anotherTry = () => canTryAgain(plan) || fallback !== undefined;
  let last: Held | { kind: 'error'; err: GatewayError } | { kind: 'refused'; refusal: Refusal } | undefined;
  let gone = false;
  const onClose = () => {
    if (!res.writableFinished) gone = true;
  };
  res.on('close', onClose);
  try {
    for (;;) {
      if (gone) return clientLeft(x);
      const p = router.next(plan, tokens);
      let exhausted = p.kind === 'none';
      if (p.kind === 'wait') {
        const now = Date.now();
        waitingSince ??= now;
        const wait = p.until - now;
        const bound = p.capacity ? queueDeadline - now : policy.maxWaitMs - (now - waitingSince);
        // The model asked for is tried before a second try of the rule's target, as a route's fallbacks are before a second try of its deployments.
        exhausted = wait > bound || (!p.capacity && fallback !== undefined) || !router.enqueue(plan.route);
        if (!exhausted) {
          // A place in the queue is held only while waiting, not while the attempt that follows streams.
          try {
            await pause(wait, res);
          } finally {
            router.dequeue(plan.route);
          }
          continue;
        }
      }
      if (exhausted || p.kind !== 'go') {
        if (fallback === undefined) break;
        // The routing rule's target is exhausted: the model the client asked for serves the request.
        before += plan.tries;
        plan = fallback.plan;
        policy = plan.route.retry;
        queueDeadline = Date.now() + plan.route.queue.maxWaitMs;
        waitingSince = undefined;
        switched = fallback;
        fallback = undefined;
        continue;
      }
      const c = p.c;
      const unfit = formUnfit(x, c, bodies);
      if (unfit) {
        skip(plan, c);
        last = { kind: 'error', err: unfit };
        continue;
      }
      let cap: number | undefined;
      if (x.checkAttempt) {
        let verdict = x.checkAttempt(before + plan.tries + 1, c.routeModel, { provider: c.d.provider, catalogProvider: c.d.catalog }, c.model);
        if (verdict instanceof Promise) verdict = await verdict;
        if (!verdict.ok) {
          // A budget or rate limit of this model or provider has no room: try the next candidate, else the client gets the refusal.
          skip(plan, c);
          last = { kind: 'refused', refusal: verdict };
          continue;
        }
        cap = verdict.capOutputTokens;
      }
      if (switched) fellBack(x, switched, before + 1);
      switched = undefined;
      router.started(plan, c, tokens);
      waitingSince = undefined;
      const n = before + plan.tries;
      facts.attempts = n;
      facts.provider = c.d.provider;
      facts.catalogProvider = c.d.catalog;
      facts.current = { n, deployment: c.d.id, provider: c.d.provider, catalogProvider: c.d.catalog, model: c.model, startedAt: Date.now(), startedPerf: performance.now() };
      res.setHeader('x-tollgate-attempts', String(n));
      res.setHeader('x-tollgate-deployment', c.d.id);
      const info = c.model === x.info.model && cap === undefined ? x.info : { ...x.info, model: c.model, maxOutputTokens: cap ?? x.info.maxOutputTokens };
      const { upstream, injectedStreamUsage } = attemptRequest(x, c, info, cap, bodies);
      let r: RelayResult;
      try {
        r = await relay({
          agent: x.agent,
          upstream,
          res,
          adapter: x.adapter,
          route: x.route,
          info,
          injectedStreamUsage,
          facts,
          inputEstimate: x.inputEstimate,
          started: x.started,
          finish: x.finish,
          attempt: {
            firstByteMs: c.d.timeouts.firstByteMs,
            requestMs: c.d.timeouts.requestMs,
            retry: (status, headers) => {
              const t = triggerForStatus(status, ownKey(c));
              return t !== undefined && mayRetry(policy, t, headers) && anotherTry();
            },
            mayRetry: () => retriesErrorEvents(policy) && anotherTry(),
            delivering: () => {
              x.json = undefined;
              x.raw = undefined;
              bodies.clear();
            },
          },
        });
      } catch (err) {
        const e = toGatewayError(err);
        router.finished(plan, c, tokens, { kind: 'unreachable' });
        const timeout = e.code === 'upstream_timeout';
        failed(facts, 0, timeout ? 'timeout' : 'unreachable', e.code);
        last = { kind: 'error', err: e };
        if (e.code === 'internal' || !mayRetry(policy, triggerForError(e.cause), undefined)) break;
        continue;
      }
      if (r.kind === 'gone') {
        // Its place in the deployment's rate-limit view (and a half-open breaker's probe) is given back.
        router.finished(plan, c, tokens, { kind: 'abandoned' });
        return;
      }
      if (r.kind === 'held') {
        // A 200 stream held back for the error event before its output counts as the status that event stands for.
        const status = r.status < 400 ? streamedErrorStatus(r.error?.type ?? null) : r.status;
        router.finished(plan, c, tokens, { kind: 'failed', status, headers: r.headers, waitMs: r.error?.retryAfterMs, restMs: r.error?.restMs });
        failed(facts, r.status, 'upstream_error', r.error?.type ?? `http_${r.status}`);
        last = { ...r, c };
        continue;
      }
      const used = facts.usage.inputTokens + facts.usage.outputTokens;
      // A cut stream counts against the deployment's health like a 502; a 429 rests it; an error
      // event inside a 200 stream counts as the status it stands for (overloaded mid-stream is a 529).
      const status = r.status < 400 && facts.outcome === 'upstream_error' ? streamedErrorStatus(facts.errorType) : r.status;
      // The deployment's own key refused (its last try, passed on): a fault of the deployment too.
      const refusedKey = (status === 401 || status === 403) && ownKey(c);
      const bad = status >= 500 || status === 429 || refusedKey || facts.outcome === 'truncated';
      router.finished(plan, c, tokens, bad ? { kind: 'failed', status: status >= 500 || status === 429 || refusedKey ? status : 502, headers: r.headers, waitMs: r.waitMs, restMs: r.restMs } : { kind: 'ok', headers: r.headers, tokens: used > 0 ? used : undefined });
      return;
    }
  } finally {
    res.off('close', onClose);
  }
  if (last === undefined) throw capacityExhausted(plan);
  if (last.kind === 'error') throw last.err;
  if (last.kind === 'refused') {
    last.refusal.final();
    throw last.refusal.error;
  }
  sendHeld(x, last);
}

/** Whether another try could follow: attempts left, and a deployment not yet tried its maximum. */
function canTryAgain(plan: RoutePlan): boolean {
  if (plan.tries >= plan.route.retry.attempts) return false;
  for (const c of plan.candidates) if (c.tries < plan.route.retry.perDeployment) return true;
  return false;
}

/** Whether an error event opening a 200 stream could be retried: the statuses such events stand for are. */
function retriesErrorEvents(policy: RetryPolicy): boolean {
  return policy.on.has('overloaded') || policy.on.has('server_error') || policy.on.has('rate_limit');
}

/** Takes every deployment of the candidate's model and provider out of this request's plan. */
function skip(plan: RoutePlan, c: Candidate): void {
  for (const o of plan.candidates) if (o.routeModel === c.routeModel && o.d.provider === c.d.provider) o.tries = Math.max(o.tries, plan.route.retry.perDeployment);
}

/** From attempt `from` on, the request is served by the model the client asked for: its headers and row say so. */
function fellBack(x: RoutedExchange, f: RuleFallback, from: number): void {
  x.facts.ruleFallbackAt = from;
  x.facts.sentModel = f.model === x.facts.modelRequested ? undefined : f.model;
  if (f.rewritten === undefined) x.res.removeHeader('x-tollgate-model-rewritten');
  else x.res.setHeader('x-tollgate-model-rewritten', f.rewritten);
}

/** The current attempt ended without reaching the client: it joins the earlier ones. */
function failed(facts: RequestFacts, status: number, outcome: string, errorType: string): void {
  const c = facts.current!;
  facts.priorAttempts.push({ ...c, status, outcome, errorType, usage: zeroUsage(), usageSource: 'none', latencyMs: Math.round(performance.now() - c.startedPerf) });
  facts.current = undefined;
}

/** Out of tries: the last upstream error goes to the client exactly as it came. */
function sendHeld(x: RoutedExchange, h: Held): void {
  const { facts, res } = x;
  const a = facts.priorAttempts[facts.priorAttempts.length - 1]!;
  a.delivered = true;
  // A held 200 stream that reported usage before failing (a Responses response.failed) is billed as
  // the same stream passed on unheld is; an error body held back reports none.
  a.usage = h.usage;
  a.usageSource = h.usageSource;
  facts.provider = h.c.d.provider;
  facts.catalogProvider = h.c.d.catalog;
  // The model of the try the client got, as when a try is delivered as it comes (a fallback's may differ).
  facts.servedModel = h.c.model;
  facts.status = h.status;
  facts.outcome = 'upstream_error';
  facts.errorType = a.errorType;
  const up = h.headers['x-request-id'] ?? h.headers['request-id'];
  facts.upstreamRequestId = typeof up === 'string' ? up : null;
  res.setHeader('x-tollgate-deployment', h.c.d.id);
  res.writeHead(h.status, clientResponseHeaders(h.headers, false));
  res.cork();
  x.finish(() => res.end(h.body));
}

function clientLeft(x: RoutedExchange): void {
  x.facts.outcome = 'client_aborted';
  x.facts.errorType = 'client_disconnected';
  x.finish();
}

export function capacityExhausted(plan: RoutePlan): GatewayError {
  const now = Date.now();
  let at = Infinity;
  // The rate-limit headers of the upstream 429 resting the deployment that frees first, which the retry-after names too.
  let limits: Readonly<Record<string, string>> | undefined;
  for (const c of plan.candidates) {
    const free = Math.max(c.cap.freeAt(0, now), c.health.availableAt(now));
    if (free < at) {
      at = free;
      limits = c.cap.pausedBy(now);
    }
  }
  const waitMs = Number.isFinite(at) ? Math.max(1000, at - now) : 1000;
  return new GatewayError('capacity_exhausted', `Every deployment serving ${plan.route.model} is at its rate limit or unavailable, and the request could not wait (queue of ${plan.route.queue.maxDepth}, ${plan.route.queue.maxWaitMs} ms at most). Retry later.`, {
    headers: { ...limits, 'retry-after': String(Math.ceil(waitMs / 1000)), 'retry-after-ms': String(Math.ceil(waitMs)) },
    details: { route: plan.route.model, retry_after_ms: Math.ceil(waitMs) },
  });
}

function triggerForError(cause: unknown): RetryTrigger {
  if (cause instanceof AttemptTimeout) return cause.kind === 'first_byte' ? 'first_byte_timeout' : 'request_timeout';
  if (cause instanceof errors.HeadersTimeoutError) return 'first_byte_timeout';
  return 'connect';
}

/** One attempt's request to its deployment (a function of its own, so that no body outlives the sending in the caller's frame). */
function attemptRequest(x: RoutedExchange, c: Candidate, info: RequestInfo, cap: number | undefined, bodies: Map<string, { body: Buffer; path: string }>): { upstream: UpstreamRequest; injectedStreamUsage: boolean } {
  const { body, path } = bodyFor(x, c.model, cap, bodies);
  const rewrite = x.adapter.rewriteRequest(x.route, info, body);
  const h: HeaderBag = Object.assign({}, x.headers, c.d.headers);
  const q = new URLSearchParams(x.query);
  x.credential(h, q, c.d.apiKey);
  const qs = forwardedQuery(x.search, q);
  return { upstream: { url: c.d.baseUrl + path + (qs ? `?${qs}` : ''), method: x.route.method, headers: h, body: rewrite?.body ?? body }, injectedStreamUsage: rewrite?.injectedStreamUsage ?? false };
}

/**
 * The body for a deployment's model: the admitted bytes as they are, or re-serialised for
 * another model or a lower output cap (`enforce_max_tokens` on that model's budgets).
 */
function bodyFor(x: RoutedExchange, model: string, cap: number | undefined, cache: Map<string, { body: Buffer; path: string }>): { body: Buffer; path: string } {
  // The body is let go only once an answer is delivered, after which no attempt is made.
  if (model === x.info.model && cap === undefined) return { body: x.raw!, path: x.path };
  const key = `${model}\n${cap ?? ''}`;
  let b = cache.get(key);
  if (b === undefined) {
    b = overrideBody({ route: x.route, json: x.json, raw: x.raw!, contentType: x.headers['content-type'], cacheEdited: x.cacheEdited }, x.path, { model, maxOutputTokens: cap ?? x.capOutputTokens });
    cache.set(key, b);
  }
  return b;
}

/** Why a form cannot go to the candidate (it has no `model` part to name the candidate's model in), checked before anything is held for it. */
function formUnfit(x: RoutedExchange, c: Candidate, bodies: Map<string, { body: Buffer; path: string }>): GatewayError | undefined {
  if (!x.route.rawBody || c.model === x.info.model) return undefined;
  try {
    bodyFor(x, c.model, undefined, bodies);
    return undefined;
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
}

/** Waits `ms`, or less if the client leaves. */
function pause(ms: number, res: ServerResponse): Promise<void> {
  return new Promise((ok) => {
    const done = () => {
      clearTimeout(t);
      res.off('close', done);
      ok();
    };
    const t = setTimeout(done, Math.max(0, ms));
    res.on('close', done);
  });
}
