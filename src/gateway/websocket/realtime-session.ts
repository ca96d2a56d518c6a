import type WebSocket from 'ws';
import { newRequestId } from '../../core/ids.js';
import { type RequestFacts, newFacts } from '../../metering/build-row.js';
import { realtimeUsage } from '../../providers/openai/realtime-usage.js';
import { asObject, asText, dig, parseJson, peekType } from '../../providers/shared/json.js';
import { record } from '../record.js';
import { type Conn, RelayedSocket, type SessionDeps } from './relayed.js';

interface Open {
  facts: RequestFacts;
  started: number;
}

/** Server events read; every other (audio and text deltas, most of a session) is passed over unparsed. */
const READ = new Set(['session.created', 'session.updated', 'response.created', 'response.done']);

/**
 * An OpenAI Realtime socket (`/v1/realtime?model=…`): responses start on the server (voice
 * activity, or the client's `response.create`), so they are metered from the server's events
 * alone: `response.created` opens one, `response.done` records its row with its usage, audio
 * priced at the model's audio rates. Spend is charged to the caller's budgets as each response
 * ends; the budgets were checked when the socket opened (responses-socket.ts).
 */
export class RealtimeSession extends RelayedSocket {
  private readonly open = new Map<string, Open>();
  /** The model the client asked for in the URL, and the one the session runs (a policy's, or one `session.update` chose). */
  private readonly requested: string;
  private model: string;
  private readonly pool: string | null;

  constructor(d: SessionDeps, conn: Conn, client: WebSocket, up: WebSocket, m: { requested: string; model: string; pool: string | null }) {
    super(d, conn, client, up);
    this.requested = m.requested;
    this.model = m.model;
    this.pool = m.pool;
  }

  protected openResponses(): number {
    return this.open.size;
  }

  protected fromUpstream(text: string): void {
    const type = peekType(text);
    if (type === undefined || !READ.has(type)) {
      if (type?.endsWith('.delta')) for (const o of this.open.values()) o.facts.ttftMs ??= Math.round(performance.now() - o.started);
      return;
    }
    const event = asObject(parseJson(text));
    if (type === 'session.created' || type === 'session.updated') {
      this.model = asText(dig(event, 'session', 'model')) ?? this.model;
      return;
    }
    const response = asObject(event?.response);
    const id = asText(response?.id) ?? '';
    if (type === 'response.created') return this.begin(id);
    const turn = this.open.get(id);
    if (turn === undefined) return;
    this.open.delete(id);
    const f = turn.facts;
    f.usage = realtimeUsage(response?.usage);
    f.usageSource = asObject(response?.usage) === undefined ? 'none' : 'final';
    const status = asText(response?.status);
    if (status === 'cancelled') Object.assign(f, { outcome: 'client_aborted', errorType: 'response_cancelled' });
    else if (status === 'failed') Object.assign(f, { outcome: 'upstream_error', errorType: asText(dig(response, 'status_details', 'error', 'type')) ?? 'response_failed' });
    this.end(turn);
  }

  protected cut(clientGone: boolean): void {
    for (const turn of this.open.values()) {
      Object.assign(turn.facts, clientGone ? { outcome: 'client_aborted', errorType: 'client_disconnected' } : { outcome: 'truncated', errorType: 'upstream_disconnected' });
      this.end(turn);
    }
    this.open.clear();
  }

  private begin(responseId: string): void {
    const { conn } = this;
    const w = conn.who;
    const facts = newFacts(newRequestId(), Date.now(), 'openai.realtime');
    Object.assign(facts, { stream: true, status: 200, attempts: 1, provider: conn.provider.name, catalogProvider: conn.provider.catalog, modelRequested: this.requested, servedModel: this.model, pool: this.pool });
    Object.assign(facts, { keyId: w.keyId, user: w.user, team: w.team, project: w.project, sessionId: w.sessionId, client: w.client, tags: w.tags });
    if (responseId) facts.responseId = responseId;
    this.open.set(responseId, { facts, started: performance.now() });
  }

  private end(turn: Open): void {
    const f = turn.facts;
    f.latencyMs = Math.round(performance.now() - turn.started);
    this.shutdownOutcome(f);
    const row = record(this.d.gateway, f, undefined);
    const policy = this.d.gateway.policy;
    if (policy && row.costPicos !== null && row.costPicos > 0n) {
      const spend = { id: row.id, ts: row.ts, caller: this.conn.who, model: row.model, provider: row.provider, pool: this.pool, cost: row.costPicos };
      policy.chargeSettled(spend).catch((err: unknown) => this.d.gateway.log.error('could not add a realtime response’s cost to its budgets; reconciliation will report the drift', { id: row.id, err: String(err) }));
    }
    this.responseEnded();
  }
}
