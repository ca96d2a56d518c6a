import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { type RawData, WebSocketServer } from 'ws';
import { type CacheSettings, DEFAULT_CACHE_SETTINGS, cacheRuleMatcher, cacheStep } from '../../cache-analysis/gateway.js';
import { GatewayError, toGatewayError } from '../../core/errors.js';
import { newRequestId } from '../../core/ids.js';
import { type Identity, identify } from '../../identity/identify.js';
import { type RequestFacts, newFacts } from '../../metering/build-row.js';
import type { Admission } from '../../policy/admission.js';
import { adapterFor, lookupRoute } from '../../providers/index.js';
import { applyOverrides } from '../../providers/shared/overrides.js';
import type { HeaderBag, RequestInfo, RouteMatch } from '../../providers/types.js';
import { headerBag, upstreamHeaders } from '../headers.js';
import { checkProviderKey } from '../provider-keys.js';
import type { GatewayDeps } from '../proxy.js';
import { record } from '../record.js';
import { requestDigest } from '../request-digest.js';
import { splitProviderPrefix } from '../routes.js';
import type { UpstreamProvider } from '../select-provider.js';
import { SocketTurns } from './turns.js';

const adapter = adapterFor('openai');
const RESPONSES = lookupRoute('POST', '/v1/responses', ['openai']);
/** Handshake headers of the client's that are the socket's own, not the request's: `ws` sets them for the upstream. */
const SOCKET_HEADERS = /^sec-websocket-/;
/** Upstream handshake headers the client may read (request ids, rate limits): passed on in the 101. */
const PASSED_ON = /^(x-request-id|request-id|openai-|x-ratelimit-)/;
/** A handshake's key: 16 bytes in base64 (RFC 6455 §4.1). */
const WS_KEY = /^[+/0-9A-Za-z]{22}==$/;
/** Close codes that may be sent in a close frame (RFC 6455 §7.4): others end the socket without one. */
const sendable = (code: number) => (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);

export interface SocketGateway {
  /** An HTTP upgrade: the Responses API's WebSocket mode is served, anything else is refused. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Shutdown begins: idle sockets close now (1001), the others once their response ends. */
  drain(): void;
  /** Shutdown's deadline: every socket closes; responses still open are recorded as cut by the gateway. */
  closeAll(): void;
}

interface Conn {
  id: string;
  who: Identity;
  headers: HeaderBag;
  provider: UpstreamProvider;
}

/**
 * OpenAI's Responses API over a WebSocket (`GET /v1/responses` upgraded), which Codex uses
 * when its provider supports it. The socket is relayed message by message, unchanged both
 * ways; each `response.create` is admitted by the policy and recorded as one row, metered from
 * the same server events as a streamed HTTP response.
 */
export function responsesSocket(deps: GatewayDeps): SocketGateway {
  const cache: CacheSettings = deps.cache ?? DEFAULT_CACHE_SETTINGS;
  const cacheMatch = cacheRuleMatcher(cache.rules);
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: deps.maxBodyBytes });
  const extraHeaders = new WeakMap<IncomingMessage, string[]>();
  wss.on('headers', (lines, req) => lines.push(...(extraHeaders.get(req) ?? [])));
  const sessions = new Set<{ drain(): void; close(): void }>();
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

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const ts = Date.now();
    const id = newRequestId(ts);
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const { provider: explicit, path } = splitProviderPrefix(q < 0 ? raw : raw.slice(0, q));
    if (path !== '/v1/responses') return refuse(socket, new GatewayError('unknown_route', `Tollgate does not serve WebSockets on ${path}.`), id);
    // Checked before the upstream socket opens: a handshake the server side would refuse must not leave one behind.
    if (req.method !== 'GET' || !WS_KEY.test(req.headers['sec-websocket-key'] ?? '') || !['8', '13'].includes(req.headers['sec-websocket-version'] ?? '')) {
      return refuse(socket, new GatewayError('invalid_request', 'Not a WebSocket handshake: GET with Sec-WebSocket-Key and Sec-WebSocket-Version 13.'), id);
    }
    const facts = newFacts(id, ts, 'openai.responses');
    facts.stream = true;
    const headers = headerBag(req.headers);
    const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
    let conn: Conn;
    try {
      const cred = adapter.readCredential(headers, query);
      const who = await identify(cred, headers, deps.keys, deps.auth);
      Object.assign(facts, { keyId: who.keyId, user: who.user, team: who.team, project: who.project, sessionId: who.sessionId, client: who.client, tags: who.tags });
      const provider = deps.providers.select('openai', '', explicit);
      facts.provider = provider.name;
      facts.catalogProvider = provider.catalog;
      checkProviderKey(provider, who.upstreamKey.kind === 'passthrough');
      const out: HeaderBag = Object.assign(upstreamHeaders(headers), provider.headers);
      for (const k of Object.keys(out)) if (SOCKET_HEADERS.test(k)) delete out[k];
      if (who.upstreamKey.kind === 'passthrough') adapter.writeCredential(out, query, who.upstreamKey.key, cred?.where);
      else if (provider.apiKey !== undefined) adapter.writeCredential(out, query, provider.apiKey, undefined);
      else if (cred?.where) delete out[cred.where];
      conn = { id, who, headers, provider };
      const qs = query.toString();
      connect(req, socket, head, conn, facts, provider.baseUrl.replace(/^http/, 'ws') + path + (qs ? `?${qs}` : ''), out);
    } catch (e) {
      const err = toGatewayError(e);
      refuse(socket, err, id);
      failed(facts, err.status, err.outcome, err.code);
    }
  }

  function connect(req: IncomingMessage, socket: Duplex, head: Buffer, conn: Conn, facts: RequestFacts, url: string, headers: HeaderBag): void {
    const protocols = req.headers['sec-websocket-protocol']?.split(',').map((p) => p.trim());
    const up = new WebSocket(url, protocols, { headers, perMessageDeflate: false, maxPayload: 0, handshakeTimeout: 30_000 });
    // The handshake ends one way only (opened, refused, failed); what the socket does after is relaySocket's.
    let settled = false;
    const gone = () => {
      settled = true;
      up.terminate();
      failed(facts, 0, 'client_aborted', 'client_disconnected');
    };
    socket.once('close', gone);
    const settle = () => {
      const first = !settled;
      settled = true;
      socket.off('close', gone);
      return first;
    };
    up.on('upgrade', (res) => {
      const lines = [`x-tollgate-request-id: ${conn.id}`];
      for (const [k, v] of Object.entries(res.headers)) if (PASSED_ON.test(k) && typeof v === 'string') lines.push(`${k}: ${v}`);
      extraHeaders.set(req, lines);
    });
    up.on('unexpected-response', (r, res) => {
      // The upstream refused the socket (no WebSocket mode there, a bad key…): the client gets its answer as it came.
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        r.destroy();
        if (!settle()) return;
        const h: Record<string, string> = { 'x-tollgate-request-id': conn.id };
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string' && !['connection', 'transfer-encoding', 'content-length'].includes(k)) h[k] = v;
        writeHttp(socket, res.statusCode ?? 502, h, Buffer.concat(chunks));
        const reqId = res.headers['x-request-id'];
        facts.upstreamRequestId = typeof reqId === 'string' ? reqId : null;
        failed(facts, res.statusCode ?? 502, 'upstream_error', `http_${res.statusCode ?? 502}`);
      });
      res.on('error', () => socket.destroy());
    });
    up.on('error', (err) => {
      if (!settle()) return;
      const e = new GatewayError('upstream_unreachable', `The provider "${conn.provider.name}" could not be reached: ${err.message}`);
      refuse(socket, e, conn.id);
      failed(facts, e.status, e.outcome, e.code);
    });
    up.once('open', () => {
      if (!settle() || socket.destroyed) return void up.terminate();
      wss.handleUpgrade(req, socket, head, (client) => relaySocket(conn, client, up));
    });
  }

  function relaySocket(conn: Conn, client: WebSocket, up: WebSocket): void {
    const turns = new SocketTurns();
    let queue = Promise.resolve();
    let draining = false;
    let clientGone = false;
    const session = {
      drain() {
        draining = true;
        if (turns.size === 0) client.close(1001, 'Tollgate is shutting down');
      },
      close() {
        turns.closeAll(false);
        client.close(1001, 'Tollgate is shutting down');
        up.terminate();
      },
    };
    sessions.add(session);
    if (closing) session.drain();
    const sendError = (err: GatewayError, id: string) => {
      const body = JSON.parse(adapter.renderError(err, id).body) as Record<string, unknown>;
      client.send(JSON.stringify({ type: 'error', status: err.status, ...body }));
    };
    const onClient = async (data: Buffer, isBinary: boolean): Promise<void> => {
      const json = isBinary ? undefined : parseMessage(data);
      if (json?.type !== 'response.create') return forward(up, client, data, isBinary);
      if (draining) return void client.close(1001, 'Tollgate is shutting down');
      const started = performance.now();
      const facts = newFacts(newRequestId(), Date.now(), 'openai.responses');
      const w = conn.who;
      Object.assign(facts, { stream: true, status: 200, attempts: 1, provider: conn.provider.name, catalogProvider: conn.provider.catalog });
      Object.assign(facts, { keyId: w.keyId, user: w.user, team: w.team, project: w.project, sessionId: w.sessionId, client: w.client, tags: w.tags });
      let admission: Admission<{ provider: string; catalogProvider: string | undefined; upstream: UpstreamProvider }> | undefined;
      let info: RequestInfo;
      let body = data;
      try {
        info = adapter.inspectRequest(route(), json);
        facts.modelRequested = info.model;
        if (deps.policy) {
          admission = await deps.policy.admit({
            id: facts.id,
            caller: w,
            model: info.model,
            keep: conn.headers['x-tollgate-model-override']?.trim().toLowerCase() === 'keep',
            bodyBytes: data.length,
            json,
            maxOutputTokens: info.maxOutputTokens,
            modifiers: info.speed === undefined && info.inferenceGeo === undefined ? undefined : { speed: info.speed, inferenceGeo: info.inferenceGeo },
            // One connection, one upstream: a policy's model goes to the provider the socket is open to.
            resolve: () => ({ provider: conn.provider.name, catalogProvider: conn.provider.catalog, upstream: conn.provider }),
          });
          facts.pool = admission.pool;
          if (admission.model !== info.model || admission.capOutputTokens !== undefined) {
            body = applyOverrides(route(), json, '/v1/responses', { model: admission.model !== info.model ? admission.model : undefined, maxOutputTokens: admission.capOutputTokens }).body;
            info = { ...info, model: admission.model };
          }
        }
      } catch (e) {
        const err = toGatewayError(e);
        sendError(err, facts.id);
        failed(facts, err.status, err.outcome, err.code);
        return;
      }
      const step = cacheStep(cache, cacheMatch, { api: 'openai.responses', provider: conn.provider.name, model: info.model, json, raw: body });
      facts.prefix = step.prefix;
      const digest = requestDigest(json, facts);
      setImmediate(digest.run);
      turns.begin({
        facts,
        info,
        started,
        inputEstimate: digest.inputEstimate,
        finish: () => {
          digest.run();
          if (closing && facts.outcome !== 'ok') Object.assign(facts, { outcome: 'truncated', errorType: 'gateway_shutdown' });
          const row = record(deps, facts, undefined);
          admission?.settle(row.costPicos, row.inputTokens + row.outputTokens, row.attemptLog);
          if (draining && turns.size === 0) client.close(1001, 'Tollgate is shutting down');
        },
      });
      forward(up, client, step.raw, false);
    };
    client.on('message', (data: RawData, isBinary) => {
      const buf = toBuffer(data);
      queue = queue.then(() => onClient(buf, isBinary)).catch((err: unknown) => deps.log.error('websocket message failed', { id: conn.id, err: String(err) }));
    });
    up.on('message', (data: RawData, isBinary) => {
      const buf = toBuffer(data);
      forward(client, up, buf, isBinary);
      if (!isBinary) turns.event(buf.toString('utf8'));
    });
    client.on('close', (code, reason) => {
      sessions.delete(session);
      clientGone = true;
      turns.closeAll(true);
      if (up.readyState === WebSocket.OPEN) up.close(sendable(code) ? code : 1000, reason);
      else up.terminate();
    });
    up.on('close', (code, reason) => {
      turns.closeAll(false);
      if (!clientGone) client.close(sendable(code) ? code : 1011, reason);
    });
    client.on('error', (err) => deps.log.warn('client websocket error', { id: conn.id, err: err.message }));
    up.on('error', (err) => deps.log.warn('upstream websocket error', { id: conn.id, err: err.message }));
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

/** Bytes sent on and not yet written out, per socket: past the high mark the sending side is paused until they drain. */
const unsent = new WeakMap<WebSocket, number>();
const HIGH_MARK = 1024 * 1024;

/** Sockets corked until the end of this tick. */
const corked = new WeakSet<WebSocket>();

/**
 * Sends a message on, pausing the socket it came from while the other end is slow to take it (no
 * unbounded buffer). The messages of one read (a Response's events often arrive dozens at a time)
 * leave in one write: the socket is corked until the tick ends, rather than one syscall a frame.
 */
function forward(to: WebSocket, from: WebSocket, data: Buffer, binary: boolean): void {
  if (to.readyState !== WebSocket.OPEN) return;
  // ws keeps its net.Socket as `_socket` (no public accessor); without it a frame is written at once.
  const socket = (to as unknown as { _socket?: Duplex })._socket;
  if (socket !== undefined && !corked.has(to)) {
    corked.add(to);
    socket.cork();
    process.nextTick(() => {
      corked.delete(to);
      socket.uncork();
    });
  }
  const pending = (unsent.get(to) ?? 0) + data.length;
  unsent.set(to, pending);
  if (pending > HIGH_MARK && !from.isPaused) from.pause();
  to.send(data, { binary }, () => {
    const left = (unsent.get(to) ?? 0) - data.length;
    unsent.set(to, left);
    if (left <= HIGH_MARK / 4 && from.isPaused) from.resume();
  });
}

function route(): RouteMatch {
  if (RESPONSES.kind !== 'match') throw new Error('the Responses route is missing');
  return RESPONSES.route;
}

function parseMessage(data: Buffer): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(data.toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/** An HTTP answer on a socket that asked to upgrade (which has no ServerResponse). */
function writeHttp(socket: Duplex, status: number, headers: Record<string, string>, body: string | Buffer): void {
  if (socket.destroyed) return;
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), `content-length: ${bytes.length}`, 'connection: close', '', ''];
  socket.end(Buffer.concat([Buffer.from(lines.join('\r\n')), bytes]));
}
