import { type IncomingMessage, type RequestListener, STATUS_CODES, type Server, type ServerResponse, createServer, maxHeaderSize } from 'node:http';
import { type Server as HttpsServer, createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { DEFAULTS } from '../config/config.js';
import { newRequestId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { Gateway } from '../gateway/proxy.js';
import { type TrustedProxies, noteClient } from '../identity/client-address.js';
import { isClientLeft, markRefused } from '../gateway/read-body.js';
import { isStorageTrouble } from '../storage/storage-trouble.js';
import { openaiErrorType } from '../providers/openai/render-error.js';
import type { Signal } from '../telemetry/otlp-model.js';
import { otlpSignal } from '../telemetry/receiver.js';
import { type AdminDeps, handleAdmin } from './admin.js';
import { handleApprovalLink } from './approval-link.js';
import { type SignedPageDeps, handleEvidenceLink, handleSpendLink } from './signed-pages.js';
import { type CorsSettings, applyCors } from './cors.js';
import type { InFlight } from './in-flight.js';
import { sendAdminError, sendJson } from './json-response.js';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';
import { handleMetrics } from './metrics-endpoint.js';
import { isWebSocketUpgrade, serveAsPlainHttp } from './plain-upgrade.js';
import { handleUi } from './ui-routes.js';
import { capConnections } from './connection-cap.js';
import type { TlsMaterial } from './tls.js';

type ApprovalDeps = Parameters<typeof handleApprovalLink>[0];

export interface ServerDeps {
  gateway: Gateway;
  admin: AdminDeps;
  /** Signed approve/deny links; built from `admin.policy` when absent. */
  approval?: ApprovalDeps;
  ready: () => Promise<boolean>;
  /** True once shutdown has begun: responses then close their connection, so pooled clients move on rather than meet a reset. */
  closing?: () => boolean;
  log: Logger;
  /** The OTLP/HTTP receiver (`/v1/logs|metrics|traces`, also under `/otlp`); off when absent. */
  otlp?: (req: IncomingMessage, res: ServerResponse, signal: Signal) => Promise<void>;
  /** Where each request is tracked until it is handled, row recorded (shutdown waits for them). */
  inFlight?: InFlight;
  /** `GET /metrics` (Prometheus), behind the admin token; answers 503 when absent. */
  metrics?: GatewayMetrics;
  /** Browser origins allowed on the API routes (`server.cors`); off when absent. */
  cors?: CorsSettings;
  /** WebSocket upgrades (the Responses API's WebSocket mode); other upgrades, and all when absent, are served as plain HTTP. */
  upgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Serve HTTPS with this certificate and key (`server.tls`); plain HTTP when absent. */
  tls?: TlsMaterial;
  /** Time a client has to send its whole request (headers and body); past it, a 408. Node's 5 minutes when absent. */
  requestTimeoutMs?: number;
  /** Connections open at once (`server.max_connections`); one more is answered 503 as it comes. The setting's default when absent. */
  maxConnections?: number;
  /** Reverse proxies whose forwarded header names the client (`server.trusted_proxies`); the connection's address is the client's when absent. */
  trustedProxies?: TrustedProxies;
}

/** Node's own default for the time a client has to send a request. */
const REQUEST_TIMEOUT_MS = 300_000;

/** The HTTP shell: health, admin and API routes. All the work happens in the parts it calls. */
export function createHttpServer(deps: ServerDeps): Server | HttpsServer {
  const handle: RequestListener = (req, res) => {
    noteClient(req, deps.trustedProxies);
    if (deps.closing?.()) res.setHeader('connection', 'close');
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const handled = dispatch(deps, req, res, path, q < 0 ? '' : url.slice(q + 1));
    deps.inFlight?.track(handled);
    handled.catch((err: unknown) => {
      // A client that hung up mid-upload is no server error, and there is no one left to answer.
      if (isClientLeft(err)) {
        deps.log.debug('client left before its request was read', { path });
        return void res.destroy();
      }
      if (isStorageTrouble(err)) {
        // Storage down or locked: the admin reads can be retried; the gateway keeps serving and spooling.
        deps.log.warn('storage unavailable for a request', { path, err: String(err) });
        if (res.headersSent) return void res.destroy();
        res.setHeader('retry-after', '5');
        return sendAdminError(res, 503, 'storage_unavailable', 'Tollgate cannot reach its storage now (the gateway goes on serving, its rows kept in the spool); retry shortly.');
      }
      deps.log.error('unhandled error in request', { path, err: String(err) });
      if (!res.headersSent) sendAdminError(res, 500, 'internal', 'Tollgate hit an internal error.');
      else res.destroy();
    });
  };
  // A slow sender (a stalled upload, a slowloris) gets a 408 rather than holding a socket and its
  // handler for ever. Node counts this time to the request's last byte only: a response may then
  // stream for as long as it takes. Connections are checked at a tenth of it, 30 s at most.
  const requestTimeout = deps.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const limits = { requestTimeout, headersTimeout: Math.min(80_000, requestTimeout), connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.round(requestTimeout / 10))) };
  const server = deps.tls ? createHttpsServer({ cert: deps.tls.cert, key: deps.tls.key, ...limits }, handle) : createServer(limits, handle);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    noteClient(req, deps.trustedProxies);
    if (deps.upgrade && isWebSocketUpgrade(req)) deps.upgrade(req, socket, head);
    else serveAsPlainHttp(server, req, socket, head);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(deps.log, err, socket));
  // Node hands CONNECT to this event and closes the socket unanswered when nothing listens: Tollgate is no forward proxy.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => refuseConnect(socket));
  // Agents hold one connection for a whole session; long idle gaps are normal.
  server.keepAliveTimeout = 75_000;
  capConnections(server, deps.maxConnections ?? DEFAULTS.maxConnections, deps);
  return server;
}

/** A CONNECT (a client set to use Tollgate as its proxy): 405, said in the OpenAI shape as the other refusals are. */
function refuseConnect(socket: Duplex): void {
  const message = 'Tollgate is an API gateway, not a forward proxy: it does not open CONNECT tunnels. Point the client at it as its base URL instead.';
  answerRaw(socket, 405, JSON.stringify({ error: { message, type: openaiErrorType(405), param: null, code: 'method_not_allowed' } }), newRequestId());
}

/** An answer written straight to a socket Node's HTTP server has let go of, and the connection closed. */
function answerRaw(socket: Duplex, status: number, body: string, id: string): void {
  const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status]}`, 'content-type: application/json', `content-length: ${Buffer.byteLength(body)}`, 'connection: close', `x-tollgate-request-id: ${id}`];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`, () => socket.destroy());
}

/**
 * A request Node's HTTP parser refused (bad framing, a NUL in a header, headers over the limit)
 * or one that timed out: answered like the gateway's other errors, in place of Node's bare
 * status line, in the OpenAI shape since the dialect is unknown. Bad headers match no route, so
 * there is no ledger row; a bad body ends its request with a row that says this answer.
 */
function answerClientError(log: Logger, err: NodeJS.ErrnoException, socket: Duplex): void {
  const current = inFlightResponse(socket);
  const midResponse = current !== undefined && current.headersSent && !current.writableEnded;
  if (err.code === 'ECONNRESET' || !socket.writable || midResponse) return void socket.destroy();
  // A body that breaks the framing comes after its request began: the answer carries that request's id (its row's).
  const begun = current?.getHeader('x-tollgate-request-id');
  const id = typeof begun === 'string' ? begun : newRequestId();
  const status = clientErrorStatus(err.code);
  // Its handler is still reading the body: the row it records says this answer, not a client that left.
  // A body cut short by the client's own close (EOF) is a client that left, not a refusal.
  if (current?.req && status !== 431 && err.code !== 'HPE_INVALID_EOF_STATE') markRefused(current.req, status === 408 ? 'request_timeout' : 'bad_http_request');
  log.debug('malformed HTTP request refused', { id, code: err.code, reason: parserReason(err) });
  answerRaw(socket, status, JSON.stringify({ error: { message: clientErrorMessage(status, err), type: openaiErrorType(status), param: null, code: 'bad_http_request' } }), id);
}

/**
 * The response this connection is on, if any. While it is being written (a later pipelined
 * request was the bad one) another answer would corrupt it; once it is all handed to the
 * socket, ours follows it in order. Node keeps it as `_httpMessage`, with no public accessor.
 */
function inFlightResponse(socket: Duplex): ServerResponse | undefined {
  return (socket as { _httpMessage?: ServerResponse | null })._httpMessage ?? undefined;
}

function clientErrorStatus(code: string | undefined): number {
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  return 400;
}

function clientErrorMessage(status: number, err: NodeJS.ErrnoException): string {
  if (status === 431) return `The request headers are larger than this gateway accepts (${Math.round(maxHeaderSize / 1024)} KB in all).`;
  if (status === 408) return 'The request was not received in time.';
  const reason = parserReason(err);
  return `The request is not valid HTTP/1.1${reason ? `: ${reason}` : ''}.`;
}

/** What the parser objected to (`Invalid method encountered`), without the error's code and position. */
function parserReason(err: NodeJS.ErrnoException): string {
  const reason = (err as { reason?: unknown }).reason;
  return typeof reason === 'string' ? reason.replace(/\.$/, '') : '';
}

async function dispatch(deps: ServerDeps, req: IncomingMessage, res: ServerResponse, path: string, search: string): Promise<void> {
  const probe = path === '/' && (req.method === 'HEAD' || req.method === 'GET');
  const approval = path.startsWith('/approvals/');
  const signedPage = path === '/evidence' || path === '/spend';
  const dashboard = path === '/ui' || path.startsWith('/ui/');
  const signal = deps.otlp ? otlpSignal(path) : undefined;
  if (signal && deps.otlp) {
    res.setHeader('x-tollgate-request-id', newRequestId());
    return deps.otlp(req, res, signal);
  }
  if (!(probe || approval || signedPage || dashboard || path === '/healthz' || path === '/readyz' || path === '/metrics' || path.startsWith('/admin/'))) {
    if (deps.cors && applyCors(deps.cors, req, res, path)) return;
    return deps.gateway(req, res);
  }
  // Every response carries a request id; only API requests also get a ledger row (the gateway sets its own).
  res.setHeader('x-tollgate-request-id', newRequestId());
  if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
  if (path === '/readyz') {
    const ok = await deps.ready();
    return sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not ready' });
  }
  if (path === '/metrics') return handleMetrics(deps.metrics, deps.admin.token, req, res, deps.admin.throttle);
  if (probe) {
    // Claude Code probes the base URL with HEAD / before its first request.
    res.writeHead(200, { 'content-type': 'text/plain' });
    return void res.end(req.method === 'GET' ? 'Tollgate gateway\n' : undefined);
  }
  if (dashboard) {
    const { token, storage, flush, rates, policy, throttle } = deps.admin;
    return handleUi({ token, ledger: storage.ledger, flush, rates, policy, secure: deps.tls !== undefined, log: deps.log, throttle }, req, res, path, new URLSearchParams(search));
  }
  if (approval) {
    const links = approvalDeps(deps);
    if (!links) return sendAdminError(res, 404, 'not_found', 'Signed approval links are off: set alerts.signing_secret and alerts.public_url.');
    return handleApprovalLink(links, req, res, path, new URLSearchParams(search));
  }
  if (signedPage) {
    const links = signedPageDeps(deps);
    if (!links) return sendAdminError(res, 404, 'not_found', 'Signed links are off: set alerts.signing_secret and alerts.public_url.');
    const handle = path === '/evidence' ? handleEvidenceLink : handleSpendLink;
    return handle(links, req, res, new URLSearchParams(search));
  }
  return handleAdmin(deps.admin, req, res, path, new URLSearchParams(search));
}

function signedPageDeps(deps: ServerDeps): SignedPageDeps | undefined {
  const { policy, storage, rates, flush } = deps.admin;
  const secret = policy?.signedLinks?.secret;
  if (!policy || !secret) return undefined;
  return { secret, ledger: storage.ledger, rates: rates ?? (() => undefined), flush, showAmounts: policy.settings.showAmounts, timeZone: policy.settings.timeZone, log: deps.log };
}

function approvalDeps(deps: ServerDeps): ApprovalDeps | undefined {
  if (deps.approval) return deps.approval;
  const runtime = deps.admin.policy;
  const secret = runtime?.signedLinks?.secret;
  if (!runtime || !secret) return undefined;
  return {
    getIncrease: (id: string) => runtime.store.getIncrease(id),
    decide: async (id: string, approve: boolean, actor: string, note: string | null) => {
      const done = await runtime.increases.decide(id, approve, actor, note);
      await runtime.rules.refresh();
      return done;
    },
    secret,
    timeZone: runtime.settings.timeZone,
    showAmounts: runtime.settings.showAmounts,
  };
}
