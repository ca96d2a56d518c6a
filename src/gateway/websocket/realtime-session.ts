import type WebSocket from 'ws';
import { GatewayError, toGatewayError } from '../../core/errors.js';
import { newRequestId } from '../../core/ids.js';
import type { LedgerRow } from '../../core/ledger-row.js';
import { type RequestFacts, newFacts } from '../../metering/build-row.js';
import type { Admission, Served } from '../../policy/admission.js';
import { adapterFor } from '../../providers/index.js';
import { realtimeUsage } from '../../providers/openai/realtime-usage.js';
import { asObject, asText, dig, parseJson, peekType } from '../../providers/shared/json.js';
import { admitRequest } from '../admit-request.js';
import { record } from '../record.js';
import { type Conn, RelayedSocket, type SessionDeps } from './relayed.js';
import { attribute } from '../caller.js';

const adapter = adapterFor('openai');

interface Open {
  facts: RequestFacts;
  started: number;
  /** The response's own admission by budgets, rate limits and model policy (undefined once refused). */
  admission?: Promise<Admission<Served> | undefined>;
  /** Why policy refused it: the response was cancelled upstream. */
  refused?: GatewayError;
}

/** Server events read; every other (audio and text deltas, most of a session) is passed over unparsed. */
const READ = new Set(['session.created', 'session.updated', 'response.created', 'response.done']);

/**
 * An OpenAI Realtime socket (`/v1/realtime?model=…`): responses start on the server (voice
 * activity, or the client's `response.create`), so they are metered from the server's events
 * alone: `response.created` opens one, `response.done` records its row with its usage, audio
 * priced at the model's audio rates. Each response is admitted as it starts, as a request is
 * (budgets reserve its estimate, rate limits count it); one refused is cancelled upstream
 * (`response.cancel`), the client told by an `error` event. Its admission settles to the cost.
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

  /**
   * The Realtime API's client events are JSON text (audio travels base64 inside them, in
   * `input_audio_buffer.append`), so a binary frame is none: it goes nowhere, and the client gets an
   * `error` event, the socket left open as the API's own error events leave a session. Passed on, the
   * provider could only refuse it, or close the socket and cut the responses under way.
   */
  protected override fromClient(data: Buffer, isBinary: boolean): Promise<void> | void {
    if (!isBinary) return super.fromClient(data, false);
    this.d.gateway.log.debug('binary frame refused on a Realtime socket', { id: this.conn.id, bytes: data.length });
    const err = new GatewayError('invalid_request', 'The Realtime API takes JSON text events only (audio goes base64 in input_audio_buffer.append); this binary frame was not sent upstream.');
    this.sendError(err.status, adapter.renderError(err, this.conn.id).body);
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
    if (turn.refused) Object.assign(f, { outcome: turn.refused.outcome, status: turn.refused.status, errorType: turn.refused.code });
    else if (status === 'cancelled') Object.assign(f, { outcome: 'client_aborted', errorType: 'response_cancelled' });
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
    attribute(facts, w);
    if (responseId) facts.responseId = responseId;
    const turn: Open = { facts, started: performance.now() };
    this.open.set(responseId, turn);
    // A realtime response's input is known only from its usage: a crash leaves it unpriced.
    this.d.gateway.open?.add(facts);
    const policy = this.d.gateway.policy;
    if (!policy) return;
    const served: Served = { provider: conn.provider.name, catalogProvider: conn.provider.catalog };
    turn.admission = policy.admit(admitRequest(facts.id, w, { model: this.model, stream: true }, conn.headers, { bytes: 0, json: undefined, api: 'openai.realtime' }, () => served)).catch((e: unknown) => {
      this.refuse(responseId, turn, toGatewayError(e));
      return undefined;
    });
  }

  /** A response policy refused: cancelled upstream while it runs, the client told why. */
  private refuse(responseId: string, turn: Open, err: GatewayError): void {
    turn.refused = err;
    if (this.open.get(responseId) !== turn) return;
    if (this.up.readyState === this.up.OPEN) this.up.send(JSON.stringify({ type: 'response.cancel', response_id: responseId }));
    if (this.client.readyState === this.client.OPEN) this.sendError(err.status, adapter.renderError(err, turn.facts.id).body);
  }

  private end(turn: Open): void {
    const f = turn.facts;
    f.latencyMs = Math.round(performance.now() - turn.started);
    this.shutdownOutcome(f);
    const row = record(this.d.gateway, f, undefined);
    void turn.admission?.then((a) => (a ? a.settle(row.costPicos, row.inputTokens + row.outputTokens) : this.charge(row)));
    this.responseEnded();
  }

  /** A refused response's spend (what it ran before its cancel took effect), added to the budgets all the same. */
  private charge(row: LedgerRow): void {
    const policy = this.d.gateway.policy;
    if (!policy || row.costPicos === null || row.costPicos <= 0n) return;
    const spend = { id: row.id, ts: row.ts, caller: this.conn.who, model: row.model, provider: row.provider, pool: this.pool, cost: row.costPicos };
    policy.chargeSettled(spend).catch((err: unknown) => this.d.gateway.log.error('could not add a realtime response’s cost to its budgets; reconciliation will report the drift', { id: row.id, err: String(err) }));
  }
}
