import { MAX_MODEL_CHARS, modelTooLong } from '../request-errors.js';
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { type CacheSettings, DEFAULT_CACHE_SETTINGS, cacheRuleMatcher } from '../../cache-analysis/gateway.js';
import { GatewayError, toGatewayError } from '../../core/errors.js';
import { newRequestId } from '../../core/ids.js';
import type { Identity } from '../../identity/identify.js';
import { isVirtualKey } from '../../identity/virtual-keys.js';
import { type RequestFacts, newFacts } from '../../metering/build-row.js';
import { adapterFor } from '../../providers/index.js';
import type { HeaderBag } from '../../providers/types.js';
import { forwardedQuery, headerBag, upstreamHeaders } from '../headers.js';
import { type KeySource, checkProviderKey, keySource, reachableCandidates } from '../provider-keys.js';
import type { GatewayDeps } from '../proxy.js';
import { record } from '../record.js';
import { splitProviderPrefix } from '../routes.js';
import { capacityExhausted } from '../routed.js';
import type { AttemptReport } from '../../routing/router.js';
import { type ResponseHeaders, mayRetry, triggerForStatus } from '../../routing/retry.js';
import type { RetryTrigger } from '../../routing/types.js';
import { admitRequest } from '../admit-request.js';
import type { UpstreamProvider } from '../select-provider.js';
import { RealtimeSession } from './realtime-session.js';
import { type Conn, type RelayedSocket, type SessionDeps } from './relayed.js';
import { ResponsesSession } from './responses-session.js';
import { identifyCaller, writeUpstreamCredential } from '../caller.js';

const adapter = adapterFor('openai');
/** The paths served as WebSockets, and the API their rows record. */
type SocketApi = 'openai.responses' | 'openai.realtime';
const SOCKET_APIS: Record<string, SocketApi | undefined> = { '/v1/responses': 'openai.responses', '/v1/realtime': 'openai.realtime' };
/** Handshake headers of the client's that are the socket's own, not the request's: `ws` sets them for the upstream. */
const SOCKET_HEADERS = /^sec-websocket-/;
/** Upstream handshake headers the client may read (request ids, rate limits): passed on in the 101. */
const PASSED_ON = /^(x-request-id|request-id|openai-|x-ratelimit-)/;
/** The subprotocol a browser puts its Realtime key in (`openai-insecure-api-key.<key>`). */
const KEY_PROTOCOL = 'openai-insecure-api-key.';
/** A handshake's key: 16 bytes in base64 (RFC 6455 §4.1). */
const WS_KEY = /^[+/0-9A-Za-z]{22}==$/;

export interface SocketGateway {
  /** A WebSocket upgrade: the Responses API's WebSocket mode and the Realtime API are served, other paths refused. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Shutdown begins: idle sockets close now (1001), the others once their response ends. */
  drain(): void;
  /** Shutdown's deadline: every socket closes; responses still open are recorded as cut by the gateway. */
  closeAll(): void;
}

/**
 * OpenAI's WebSockets: the Responses API's (`GET /v1/responses` upgraded), which Codex uses when
 * its provider supports it, and the Realtime API's (`/v1/realtime?model=…`). The handshake is
 * checked, attributed and forwarded with the provider's key; then the socket is relayed message
 * by message, unchanged both ways, and each response is recorded as one row
 * (responses-session.ts, realtime-session.ts).
 */
export function socketGateway(deps: GatewayDeps): SocketGateway {
  const cache: CacheSettings = deps.cache ?? DEFAULT_CACHE_SETTINGS;
  const cacheMatch = cacheRuleMatcher(cache.rules);
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: deps.maxBodyBytes });
  const extraHeaders = new WeakMap<IncomingMessage, string[]>();
  wss.on('headers', (lines, req) => lines.push(...(extraHeaders.get(req) ?? [])));
  const sessions = new Set<RelayedSocket>();
  let closing = false;

  const refuse = (socket: Duplex, err: GatewayError, id: string) => {
    const r = adapter.renderError(err, id);
    writeHttp(socket, r.status, { ...r.headers, 'x-tollgate-request-id': id }, r.body);
  };
  /** A handshake that went nowhere is still a request: its row says who and why. */
  const failed = (facts: RequestFacts, status: number, outcome: RequestFacts['outcome'], errorType: string) => {
    Object.assign(facts, { status, outcome, errorType });
    record(deps, facts, undefined);
  };

  const session: SessionDeps = { gateway: deps, cache, cacheMatch, failed, ended: (x) => sessions.delete(x) };

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const ts = Date.now();
    const id = newRequestId(ts);
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const { provider: explicit, path } = splitProviderPrefix(q < 0 ? raw : raw.slice(0, q));
    const kind = SOCKET_APIS[path];
    if (kind === undefined) return refuse(socket, new GatewayError('unknown_route', `Tollgate does not serve WebSockets on ${path}.`), id);
    // Checked before the upstream socket opens: a handshake the server side would refuse must not leave one behind.
    if (req.method !== 'GET' || !WS_KEY.test(req.headers['sec-websocket-key'] ?? '') || !['8', '13'].includes(req.headers['sec-websocket-version'] ?? '')) {
      return refuse(socket, new GatewayError('invalid_request', 'Not a WebSocket handshake: GET with Sec-WebSocket-Key and Sec-WebSocket-Version 13.'), id);
    }
    // A route or routing rule decides per request (deployment, retries, fallbacks, another model); a
    // socket is bound to one upstream for all its responses. A 426 sends Codex to HTTP at once (a 404
    // costs it five reconnects first); no row: the same work arrives over HTTP next.
    if (kind === 'openai.responses' && explicit === undefined && routesResponses(deps)) {
      return refuse(socket, new GatewayError('http_required', 'Responses API traffic is routed per request here (configured routes or routing rules), which a WebSocket bound to one upstream cannot follow: send each response as POST /v1/responses.'), id);
    }
    const facts = newFacts(id, ts, kind);
    facts.stream = true;
    const headers = headerBag(req.headers);
    // A browser cannot set headers on a WebSocket: Realtime takes its key as a subprotocol instead.
    const inProtocol = protocolsOf(req).find((p) => p.startsWith(KEY_PROTOCOL));
    if (headers.authorization === undefined && inProtocol !== undefined) headers.authorization = `Bearer ${inProtocol.slice(KEY_PROTOCOL.length)}`;
    const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
    let target: SocketTarget | undefined;
    try {
      const caller = await identifyCaller(adapter, headers, query, deps, facts, req);
      const { who } = caller;
      // A Realtime socket names its model in the URL; a Responses socket's messages each name theirs.
      const model = kind === 'openai.realtime' ? (query.get('model') ?? '') : '';
      facts.modelRequested = model.slice(0, MAX_MODEL_CHARS);
      const long = modelTooLong(model);
      if (long) throw long;
      const keys = keySource(who, deps.auth);
      // The row names the provider the handshake goes to, refused or not.
      const aim = (t: SocketTarget) => Object.assign(facts, { provider: t.provider.name, catalogProvider: t.provider.catalog });
      target = socketTarget(deps, kind, model, explicit, keys);
      if (target.model !== model) query.set('model', target.model);
      aim(target);
      checkProviderKey(target.provider, keys);
      const realtime = kind === 'openai.realtime' ? await admitRealtime(facts, who, headers, query, target.provider) : undefined;
      /** The handshake to one target: its URL, and the client's headers with the target's key. */
      const attempt = (t: SocketTarget, sent?: string): Attempt => {
        // Another deployment of the route may know the model by another name.
        if (sent !== undefined && t.model !== sent) query.set('model', t.model);
        aim(t);
        const out: HeaderBag = Object.assign(upstreamHeaders(headers), t.provider.headers);
        for (const k of Object.keys(out)) if (SOCKET_HEADERS.test(k)) delete out[k];
        writeUpstreamCredential(adapter, out, query, caller, t.provider.apiKey);
        const qs = forwardedQuery(q < 0 ? '' : raw.slice(q + 1), query);
        return { target: t, conn: { id, who, headers, provider: t.provider, key: caller.cred !== undefined && isVirtualKey(caller.cred.key) ? caller.cred.key : undefined }, url: t.provider.baseUrl.replace(/^http/, 'ws') + path + (qs ? `?${qs}` : ''), headers: out };
      };
      const again = (a: Attempt, trigger: RetryTrigger, h: ResponseHeaders | undefined): Attempt | undefined => {
        const next = a.target.again?.(trigger, h);
        return next && attempt(next, a.target.model);
      };
      const open = (a: Attempt, client: WebSocket, up: WebSocket): RelayedSocket => (realtime ? new RealtimeSession(session, a.conn, client, up, realtime) : new ResponsesSession(session, a.conn, client, up));
      connect(req, socket, head, { facts, open, again }, attempt(target));
    } catch (e) {
      target?.report({ kind: 'abandoned' });
      const err = toGatewayError(e);
      refuse(socket, err, id);
      failed(facts, err.status, err.outcome, err.code);
    }
  }

  /**
   * A Realtime socket is checked when it opens: it opens only while the caller's budgets could pay
   * for one response, counts as one request against rate limits, and a model policy's model
   * replaces the URL's; the hold is released at once. Each response is then admitted on its own as
   * it starts (realtime-session.ts).
   */
  async function admitRealtime(facts: RequestFacts, who: Identity, headers: HeaderBag, query: URLSearchParams, provider: UpstreamProvider): Promise<{ requested: string; model: string; pool: string | null }> {
    const requested = facts.modelRequested;
    if (!deps.policy) return { requested, model: requested, pool: null };
    const served = { provider: provider.name, catalogProvider: provider.catalog, upstream: provider };
    const admission = await deps.policy.admit(admitRequest(facts.id, who, { model: facts.modelRequested, stream: true }, headers, { bytes: 0, json: undefined, api: 'openai.realtime' }, () => served));
    admission.settle(0n, 0);
    if (admission.model !== facts.modelRequested) query.set('model', admission.model);
    return { requested, model: admission.model, pool: admission.pool };
  }

  /**
   * Dials the upstream for a client's handshake; once it opens, completes the client's and starts
   * the session. A refusal or failure a route may retry goes to its next deployment while the
   * client still waits; the last one reaches the client.
   */
  function connect(req: IncomingMessage, socket: Duplex, head: Buffer, x: Dialing, a: Attempt): void {
    const { facts } = x;
    const { conn, target } = a;
    if (clientLeft(socket)) {
      target.report({ kind: 'abandoned' });
      socket.destroy();
      return failed(facts, 0, 'client_aborted', 'client_disconnected');
    }
    // The key goes upstream in the Authorization header (the configured one, or the client's own), never in a subprotocol.
    const protocols = protocolsOf(req).filter((p) => !p.startsWith(KEY_PROTOCOL));
    const agent = deps.webSocketAgent?.(a.url);
    const up = new WebSocket(a.url, protocols, { headers: a.headers, perMessageDeflate: false, maxPayload: 0, handshakeTimeout: 30_000, ...(agent ? { agent } : {}) });
    // The handshake ends one way only (opened, refused, failed); what the socket does after is the session's (session.ts).
    let settled = false;
    const detach = () => {
      socket.off('close', gone);
      socket.off('end', gone);
    };
    // A client that closes or half-closes (FIN) before the upstream opens is gone: the upstream socket goes too.
    const gone = () => {
      settled = true;
      detach();
      target.report({ kind: 'abandoned' });
      up.terminate();
      socket.destroy();
      failed(facts, 0, 'client_aborted', 'client_disconnected');
    };
    socket.once('close', gone);
    socket.once('end', gone);
    const settle = () => {
      const first = !settled;
      settled = true;
      detach();
      return first;
    };
    up.on('upgrade', (res) => {
      target.report({ kind: 'ok', headers: res.headers, tokens: undefined });
      const lines = [`x-tollgate-request-id: ${conn.id}`];
      if (target.deployment !== undefined) lines.push(`x-tollgate-deployment: ${target.deployment}`);
      for (const [k, v] of Object.entries(res.headers)) if (PASSED_ON.test(k) && typeof v === 'string') lines.push(`${k}: ${v}`);
      extraHeaders.set(req, lines);
    });
    up.on('unexpected-response', (r, res) => {
      // The upstream refused the socket (no WebSocket mode there, a bad key…): the client gets its answer as it came,
      // but for the status of a Responses API without the WebSocket mode (404, 405): a 426 moves Codex to HTTP at
      // once, where a 404 costs it five reconnects (about 6 s) at every start.
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        r.destroy();
        const status = res.statusCode ?? 502;
        target.report({ kind: 'failed', status, headers: res.headers });
        if (!settle()) return;
        const trigger = triggerForStatus(status);
        const next = trigger && x.again(a, trigger, res.headers);
        if (next) return connect(req, socket, head, x, next);
        const shown = facts.api === 'openai.responses' && (status === 404 || status === 405) ? 426 : status;
        const h: Record<string, string> = { 'x-tollgate-request-id': conn.id };
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string' && !['connection', 'transfer-encoding', 'content-length'].includes(k)) h[k] = v;
        writeHttp(socket, shown, h, Buffer.concat(chunks));
        const reqId = res.headers['x-request-id'];
        facts.upstreamRequestId = typeof reqId === 'string' ? reqId : null;
        failed(facts, shown, 'upstream_error', `http_${status}`);
      });
      res.on('error', () => {
        target.report({ kind: 'unreachable' });
        socket.destroy();
      });
    });
    up.on('error', (err) => {
      if (!settle()) return;
      target.report({ kind: 'unreachable' });
      const next = x.again(a, 'connect', undefined);
      if (next) return connect(req, socket, head, x, next);
      const e = new GatewayError('upstream_unreachable', `The provider "${conn.provider.name}" could not be reached: ${err.message}`);
      refuse(socket, e, conn.id);
      failed(facts, e.status, e.outcome, e.code);
    });
    up.once('open', () => {
      if (settled) return void up.terminate();
      if (clientLeft(socket)) return gone();
      let taken = false;
      wss.handleUpgrade(req, socket, head, (client) => {
        taken = true;
        settle();
        const s = x.open(a, client, up);
        sessions.add(s);
        if (closing) s.drain();
      });
      // ws drops a socket it will not take without calling back (it does so synchronously).
      if (!taken) gone();
    });
  }

  return {
    upgrade: (req, socket, head) => {
      socket.on('error', () => socket.destroy());
      upgrade(req, socket, head).catch((err: unknown) => {
        deps.log.error('websocket upgrade failed', { err: String(err) });
        socket.destroy();
      });
    },
    drain() {
      closing = true;
      for (const s of sessions) s.drain();
    },
    closeAll() {
      closing = true;
      for (const s of [...sessions]) s.close();
    },
  };
}

/** A client socket closed or half-closed (its FIN read): ws would drop it at the upgrade. */
function clientLeft(socket: Duplex): boolean {
  return socket.destroyed || !socket.readable || !socket.writable;
}

function protocolsOf(req: IncomingMessage): string[] {
  return (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter(Boolean);
}

/** Where a socket goes, the model named upstream, and how the router hears of the handshake's end (once). */
interface SocketTarget {
  provider: UpstreamProvider;
  model: string;
  deployment?: string;
  report(r: AttemptReport): void;
  /** The route's next deployment after this one failed, when its retry policy allows one. */
  again?(trigger: RetryTrigger, headers: ResponseHeaders | undefined): SocketTarget | undefined;
}

/** One handshake to one target. */
interface Attempt {
  target: SocketTarget;
  conn: Conn;
  url: string;
  headers: HeaderBag;
}

/** What every handshake of one client's socket shares. */
interface Dialing {
  facts: RequestFacts;
  open(a: Attempt, client: WebSocket, up: WebSocket): RelayedSocket;
  again(a: Attempt, trigger: RetryTrigger, headers: ResponseHeaders | undefined): Attempt | undefined;
}

/**
 * A Realtime socket whose model a configured route serves goes to the deployment the router picks
 * (health, rate-limit headroom, weight and order), with its URL, key and model name; a failed
 * handshake counts against that deployment's health, and `again` offers the next deployment ready
 * now when the route's retry policy allows. Other sockets take the plain path.
 */
function socketTarget(deps: GatewayDeps, kind: SocketApi, model: string, explicit: string | undefined, keys: KeySource): SocketTarget {
  const router = deps.router;
  const route = kind === 'openai.realtime' && explicit === undefined ? router?.routeFor('openai', model) : undefined;
  if (router === undefined || route === undefined) return { provider: deps.providers.select('openai', model, explicit), model, report: () => undefined };
  const plan = router.plan(route, model, undefined);
  plan.candidates = reachableCandidates(route.model, plan.candidates, keys);
  const pick = (): SocketTarget | undefined => {
    const p = router.next(plan, 0);
    if (p.kind !== 'go') return undefined;
    const { c } = p;
    router.started(plan, c, 0);
    let reported = false;
    const d = c.d;
    const provider: UpstreamProvider = { name: d.provider, dialect: d.dialect, baseUrl: d.baseUrl, apiKey: d.apiKey, headers: d.headers, catalog: d.catalog, models: undefined, keyRequired: d.keyRequired };
    return {
      provider,
      model: c.model,
      deployment: d.id,
      report: (r) => {
        if (reported) return;
        reported = true;
        router.finished(plan, c, 0, r);
      },
      // Only at once, to another deployment: a client's handshake does not wait out a retry-after.
      again: (trigger, headers) => (mayRetry(route.retry, trigger, headers) ? pick() : undefined),
    };
  };
  const first = pick();
  if (first === undefined) throw capacityExhausted(plan);
  return first;
}

/** Whether configured routes or routing rules may govern a Responses API request (its model is not known before the socket's first message). */
function routesResponses(deps: GatewayDeps): boolean {
  return deps.router?.routesDialect('openai') === true || deps.rules?.mayApply('openai.responses') === true;
}

/** An HTTP answer on a socket that asked to upgrade (which has no ServerResponse). */
function writeHttp(socket: Duplex, status: number, headers: Record<string, string>, body: string | Buffer): void {
  if (socket.destroyed) return;
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), `content-length: ${bytes.length}`, 'connection: close', '', ''];
  socket.end(Buffer.concat([Buffer.from(lines.join('\r\n')), bytes]));
}
