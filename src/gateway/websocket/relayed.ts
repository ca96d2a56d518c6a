import WebSocket, { type RawData } from 'ws';
import type { CacheSettings, cacheRuleMatcher } from '../../cache-analysis/gateway.js';
import type { Identity } from '../../identity/identify.js';
import type { RequestFacts } from '../../metering/build-row.js';
import type { HeaderBag } from '../../providers/types.js';
import type { GatewayDeps } from '../proxy.js';
import type { UpstreamProvider } from '../select-provider.js';
import { forward, sendable, toBuffer } from './forward.js';
import { GatewayError } from '../../core/errors.js';
import { keyRefusal } from '../../identity/key-validity.js';
import { adapterFor } from '../../providers/index.js';

const GOING_AWAY = 'Tollgate is shutting down';

/** An open socket's caller and the provider it is open to. */
export interface Conn {
  id: string;
  who: Identity;
  headers: HeaderBag;
  provider: UpstreamProvider;
  /** The caller's Tollgate key, looked up again at each message: one revoked or expired while the socket is open stops it. */
  key?: string;
}

export interface SessionDeps {
  gateway: GatewayDeps;
  cache: CacheSettings;
  cacheMatch: ReturnType<typeof cacheRuleMatcher>;
  /** Records a request that went nowhere, with its status and outcome. */
  failed: (facts: RequestFacts, status: number, outcome: RequestFacts['outcome'], errorType: string) => void;
  /** The socket ended: it leaves the gateway's list. */
  ended: (s: RelayedSocket) => void;
}

/**
 * A client socket and its upstream socket, relayed message by message, unchanged both ways
 * (unless a subclass holds a client message back). What is metered, and how, is the
 * subclass's: a Responses socket (responses-session.ts) or a Realtime one (realtime-session.ts).
 */
export abstract class RelayedSocket {
  protected readonly d: SessionDeps;
  protected readonly conn: Conn;
  protected readonly client: WebSocket;
  protected readonly up: WebSocket;
  private queue = Promise.resolve();
  private draining = false;
  /** The key was refused: nothing more is passed on. */
  private refused = false;
  private clientGone = false;

  constructor(d: SessionDeps, conn: Conn, client: WebSocket, up: WebSocket) {
    this.d = d;
    this.conn = conn;
    this.client = client;
    this.up = up;
    const log = d.gateway.log;
    client.on('message', (data: RawData, isBinary) => {
      const buf = toBuffer(data);
      // In order: a message waits for the one before it (an admission may be under way).
      this.queue = this.queue.then(async () => ((await this.keyRefused()) ? undefined : this.fromClient(buf, isBinary))).catch((err: unknown) => log.error('websocket message failed', { id: conn.id, err: String(err) }));
    });
    up.on('message', (data: RawData, isBinary) => {
      const buf = toBuffer(data);
      forward(client, up, buf, isBinary);
      if (!isBinary) this.fromUpstream(buf.toString('utf8'));
    });
    client.on('close', (code, reason) => {
      d.ended(this);
      this.clientGone = true;
      this.cut(true);
      if (up.readyState === WebSocket.OPEN) up.close(sendable(code) ? code : 1000, reason);
      else up.terminate();
    });
    up.on('close', (code, reason) => {
      this.cut(false);
      if (!this.clientGone) client.close(sendable(code) ? code : 1011, reason);
    });
    client.on('error', (err) => log.warn('client websocket error', { id: conn.id, err: err.message }));
    up.on('error', (err) => log.warn('upstream websocket error', { id: conn.id, err: err.message }));
  }

  /** Shutdown begins: closes now when no response is open, else once the last one ends. */
  drain(): void {
    this.draining = true;
    if (this.openResponses() === 0) this.client.close(1001, GOING_AWAY);
  }

  /** Shutdown's deadline: responses still open are recorded as cut. */
  close(): void {
    this.cut(false);
    this.client.close(1001, GOING_AWAY);
    this.up.terminate();
  }

  /**
   * Whether the socket's key is no longer good (revoked, expired, gone): the client is told as its
   * HTTP request would be, and the socket closes (1008), the message unsent. A socket lasts a whole
   * agent session, so the key is read again at each message (kept 2 s, as for HTTP requests); while
   * storage cannot answer it goes on with the key's last known state, as HTTP requests do.
   */
  private async keyRefused(): Promise<boolean> {
    if (this.refused) return true;
    const key = this.conn.key;
    if (key === undefined) return false;
    let rec: Awaited<ReturnType<GatewayDeps['keys']['resolve']>>;
    try {
      rec = await this.d.gateway.keys.resolve(key);
    } catch {
      return false;
    }
    const refusal = rec === undefined ? { code: 'invalid_api_key' as const, message: 'This Tollgate key is not valid here.' } : keyRefusal(rec, Date.now());
    if (!refusal) return false;
    this.refused = true;
    this.d.gateway.log.warn('websocket closed: its Tollgate key is no longer valid', { id: this.conn.id, keyId: this.conn.who.keyId, code: refusal.code });
    const r = adapterFor('openai').renderError(new GatewayError(refusal.code, refusal.message), this.conn.id);
    this.sendError(r.status, r.body);
    this.client.close(1008, 'Tollgate key refused');
    return true;
  }

  /** A client message: passed on as it came unless the subclass holds it back. */
  protected fromClient(data: Buffer, isBinary: boolean): Promise<void> | void {
    forward(this.up, this.client, data, isBinary);
  }

  /** A text message from upstream, already passed on to the client. */
  protected abstract fromUpstream(text: string): void;
  /** The connection ended: every response still open is recorded as cut, by the client or not. */
  protected abstract cut(clientGone: boolean): void;
  protected abstract openResponses(): number;

  /** Whether a client asking for a response now should be told to go elsewhere (shutdown has begun). */
  protected refusesNew(): boolean {
    if (!this.draining) return false;
    this.client.close(1001, GOING_AWAY);
    return true;
  }

  /** A response ended and its row is recorded: the socket closes if shutdown waits for it. */
  protected responseEnded(): void {
    if (this.draining && this.openResponses() === 0) this.client.close(1001, GOING_AWAY);
  }

  /** A refusal as the socket's error event: the status the HTTP answer would have had, and its body. */
  protected sendError(status: number, body: string): void {
    this.client.send(JSON.stringify({ type: 'error', status, ...(JSON.parse(body) as Record<string, unknown>) }));
  }

  /** Marks a cut response as the gateway's doing once shutdown has cut the connections still open (as the HTTP path does). */
  protected shutdownOutcome(facts: RequestFacts): void {
    if (this.d.gateway.cutByShutdown?.() === true && (facts.outcome === 'truncated' || facts.outcome === 'client_aborted')) Object.assign(facts, { outcome: 'truncated', errorType: 'gateway_shutdown' });
  }
}
