import WebSocket, { type RawData } from 'ws';
import { type CacheSettings, type cacheRuleMatcher, cacheStep } from '../../cache-analysis/gateway.js';
import { type GatewayError, toGatewayError } from '../../core/errors.js';
import { newRequestId } from '../../core/ids.js';
import type { Identity } from '../../identity/identify.js';
import { type RequestFacts, newFacts } from '../../metering/build-row.js';
import type { Admission } from '../../policy/admission.js';
import { adapterFor, lookupRoute } from '../../providers/index.js';
import { applyOverrides } from '../../providers/shared/overrides.js';
import type { HeaderBag, RequestInfo, RouteMatch } from '../../providers/types.js';
import { admitRequest } from '../admit-request.js';
import type { GatewayDeps } from '../proxy.js';
import { record } from '../record.js';
import { requestDigest } from '../request-digest.js';
import type { UpstreamProvider } from '../select-provider.js';
import { forward, sendable, toBuffer } from './forward.js';
import { SocketTurns } from './turns.js';

const adapter = adapterFor('openai');
const RESPONSES = lookupRoute('POST', '/v1/responses', ['openai']);
const GOING_AWAY = 'Tollgate is shutting down';

/** An open socket's caller and the provider it is open to. */
export interface Conn {
  id: string;
  who: Identity;
  headers: HeaderBag;
  provider: UpstreamProvider;
}

export interface SessionDeps {
  gateway: GatewayDeps;
  cache: CacheSettings;
  cacheMatch: ReturnType<typeof cacheRuleMatcher>;
  /** Shutdown has begun. */
  closing: () => boolean;
  /** Records a request that went nowhere, with its status and outcome. */
  failed: (facts: RequestFacts, status: number, outcome: RequestFacts['outcome'], errorType: string) => void;
  /** The socket ended: it leaves the gateway's list. */
  ended: (s: SocketSession) => void;
}

type Served = { provider: string; catalogProvider: string | undefined; upstream: UpstreamProvider };

/**
 * One client socket and its upstream socket. Messages pass unchanged both ways; a
 * `response.create` is first admitted (in order: the next message waits for it), then begins a
 * turn that the upstream's events meter and end with a row.
 */
export class SocketSession {
  private readonly turns = new SocketTurns();
  private queue = Promise.resolve();
  private draining = false;
  private clientGone = false;
  private readonly d: SessionDeps;
  private readonly conn: Conn;
  private readonly client: WebSocket;
  private readonly up: WebSocket;

  constructor(d: SessionDeps, conn: Conn, client: WebSocket, up: WebSocket) {
    this.d = d;
    this.conn = conn;
    this.client = client;
    this.up = up;
    const log = d.gateway.log;
    client.on('message', (data: RawData, isBinary) => {
      const buf = toBuffer(data);
      this.queue = this.queue.then(() => this.fromClient(buf, isBinary)).catch((err: unknown) => log.error('websocket message failed', { id: conn.id, err: String(err) }));
    });
    up.on('message', (data: RawData, isBinary) => {
      const buf = toBuffer(data);
      forward(client, up, buf, isBinary);
      if (!isBinary) this.turns.event(buf.toString('utf8'));
    });
    client.on('close', (code, reason) => {
      d.ended(this);
      this.clientGone = true;
      this.turns.closeAll(true);
      if (up.readyState === WebSocket.OPEN) up.close(sendable(code) ? code : 1000, reason);
      else up.terminate();
    });
    up.on('close', (code, reason) => {
      this.turns.closeAll(false);
      if (!this.clientGone) client.close(sendable(code) ? code : 1011, reason);
    });
    client.on('error', (err) => log.warn('client websocket error', { id: conn.id, err: err.message }));
    up.on('error', (err) => log.warn('upstream websocket error', { id: conn.id, err: err.message }));
    if (d.closing()) this.drain();
  }

  /** Shutdown begins: closes now when no response is open, else once the last one ends. */
  drain(): void {
    this.draining = true;
    if (this.turns.size === 0) this.client.close(1001, GOING_AWAY);
  }

  /** Shutdown's deadline: responses still open are recorded as cut. */
  close(): void {
    this.turns.closeAll(false);
    this.client.close(1001, GOING_AWAY);
    this.up.terminate();
  }

  private async fromClient(data: Buffer, isBinary: boolean): Promise<void> {
    const json = isBinary ? undefined : parseMessage(data);
    if (json?.type !== 'response.create') return forward(this.up, this.client, data, isBinary);
    // A response asked for while closing would be cut: the client is told to go elsewhere first.
    if (this.draining) return void this.client.close(1001, GOING_AWAY);
    const { conn, d } = this;
    const started = performance.now();
    const facts = newFacts(newRequestId(), Date.now(), 'openai.responses');
    const w = conn.who;
    Object.assign(facts, { stream: true, status: 200, attempts: 1, provider: conn.provider.name, catalogProvider: conn.provider.catalog });
    Object.assign(facts, { keyId: w.keyId, user: w.user, team: w.team, project: w.project, sessionId: w.sessionId, client: w.client, tags: w.tags });
    let admission: Admission<Served> | undefined;
    let info: RequestInfo;
    let body = data;
    try {
      info = adapter.inspectRequest(route(), json);
      facts.modelRequested = info.model;
      if (d.gateway.policy) {
        // One connection, one upstream: a policy's model goes to the provider the socket is open to.
        const served: Served = { provider: conn.provider.name, catalogProvider: conn.provider.catalog, upstream: conn.provider };
        admission = await d.gateway.policy.admit(admitRequest(facts.id, w, info, conn.headers, { bytes: data.length, json }, () => served));
        facts.pool = admission.pool;
        if (admission.model !== info.model || admission.capOutputTokens !== undefined) {
          body = applyOverrides(route(), json, '/v1/responses', { model: admission.model !== info.model ? admission.model : undefined, maxOutputTokens: admission.capOutputTokens }).body;
          info = { ...info, model: admission.model };
        }
      }
    } catch (e) {
      const err = toGatewayError(e);
      this.sendError(err, facts.id);
      d.failed(facts, err.status, err.outcome, err.code);
      return;
    }
    const step = cacheStep(d.cache, d.cacheMatch, { api: 'openai.responses', provider: conn.provider.name, model: info.model, json, raw: body });
    facts.prefix = step.prefix;
    const digest = requestDigest(json, facts);
    setImmediate(digest.run);
    this.turns.begin({
      facts,
      info,
      started,
      inputEstimate: digest.inputEstimate,
      finish: () => {
        digest.run();
        if (d.closing() && (facts.outcome === 'truncated' || facts.outcome === 'client_aborted')) Object.assign(facts, { outcome: 'truncated', errorType: 'gateway_shutdown' });
        const row = record(d.gateway, facts, undefined);
        admission?.settle(row.costPicos, row.inputTokens + row.outputTokens, row.attemptLog);
        if (this.draining && this.turns.size === 0) this.client.close(1001, GOING_AWAY);
      },
    });
    forward(this.up, this.client, step.raw, false);
  }

  /** A refusal as the socket's error event: the status the HTTP answer would have had, and its body. */
  private sendError(err: GatewayError, id: string): void {
    const body = JSON.parse(adapter.renderError(err, id).body) as Record<string, unknown>;
    this.client.send(JSON.stringify({ type: 'error', status: err.status, ...body }));
  }
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
