import { MAX_MODEL_CHARS, modelTooLong } from '../request-errors.js';
import { cacheStep } from '../../cache-analysis/gateway.js';
import { GatewayError, toGatewayError } from '../../core/errors.js';
import { newRequestId } from '../../core/ids.js';
import { newFacts } from '../../metering/build-row.js';
import type { Admission } from '../../policy/admission.js';
import { adapterFor, lookupRoute } from '../../providers/index.js';
import { applyOverrides } from '../../providers/shared/overrides.js';
import type { RequestInfo, RouteMatch } from '../../providers/types.js';
import { admitRequest } from '../admit-request.js';
import { record } from '../record.js';
import { requestDigest } from '../request-digest.js';
import type { UpstreamProvider } from '../select-provider.js';
import { forward } from './forward.js';
import { RelayedSocket } from './relayed.js';
import { SocketTurns } from './turns.js';
import { attribute } from '../caller.js';
import { forClient } from '../client-errors.js';
import { type ObjectHold, madeObjects } from '../objects/access.js';
import { guardObjects } from '../objects/guard.js';

const adapter = adapterFor('openai');
/** RFC 6455 §7.4.1: the endpoint received a type of data it cannot accept. */
const UNSUPPORTED_DATA = 1003;
const TEXT_ONLY = 'Tollgate takes text frames only on this socket';
const RESPONSES = lookupRoute('POST', '/v1/responses', ['openai']);

type Served = { provider: string; catalogProvider: string | undefined; upstream: UpstreamProvider };

/**
 * A Responses API socket: a `response.create` is first admitted (the next message waits for it),
 * then begins a turn that the upstream's events meter and end with a row.
 */
export class ResponsesSession extends RelayedSocket {
  private readonly turns = new SocketTurns();
  /** Set once a binary frame closed the socket: what the client sends after it goes nowhere. */
  private refusedBinary = false;

  protected openResponses(): number {
    return this.turns.size;
  }

  protected fromUpstream(text: string): void {
    this.turns.event(text);
  }

  protected cut(clientGone: boolean): void {
    this.turns.closeAll(clientGone);
  }

  protected override async fromClient(data: Buffer, isBinary: boolean): Promise<void> {
    if (this.refusedBinary) return;
    // Only text is read for `response.create`: a binary frame would reach the upstream unmetered.
    if (isBinary) return this.refuseBinary();
    const json = parseMessage(data);
    if (json === undefined) return this.refuseUnread(data);
    if (json.type !== 'response.create') return forward(this.up, this.client, data, false);
    // A response asked for while closing would be cut: the client is told to go elsewhere first.
    if (this.refusesNew()) return;
    const { conn, d } = this;
    const started = performance.now();
    const facts = newFacts(newRequestId(), Date.now(), 'openai.responses');
    const w = conn.who;
    Object.assign(facts, { stream: true, status: 200, attempts: 1, provider: conn.provider.name, catalogProvider: conn.provider.catalog });
    attribute(facts, w);
    let admission: Admission<Served> | undefined;
    let info: RequestInfo;
    let body = data;
    const owned: ObjectHold = {};
    try {
      info = adapter.inspectRequest(route(), json);
      // A `previous_response_id` the key may not use is refused as over HTTP; the response it makes is its key's.
      if (d.gateway.objects) await guardObjects(d.gateway.objects, owned, route(), json, w, data);
      facts.modelRequested = info.model.slice(0, MAX_MODEL_CHARS);
      const long = modelTooLong(info.model);
      if (long) throw long;
      if (d.gateway.policy) {
        // One connection, one upstream: a policy's model goes to the provider the socket is open to.
        const served: Served = { provider: conn.provider.name, catalogProvider: conn.provider.catalog, upstream: conn.provider };
        admission = await d.gateway.policy.admit(admitRequest(facts.id, w, info, conn.headers, { bytes: data.length, json, api: 'openai.responses' }, () => served));
        facts.pool = admission.pool;
        if (admission.model !== info.model || admission.capOutputTokens !== undefined) {
          body = applyOverrides(route(), json, '/v1/responses', { model: admission.model !== info.model ? admission.model : undefined, maxOutputTokens: admission.capOutputTokens }).body;
          info = { ...info, model: admission.model };
        }
      }
    } catch (e) {
      const err = forClient(toGatewayError(e), facts.client);
      this.sendError(err.status, adapter.renderError(err, facts.id).body);
      d.failed(facts, err.status, err.outcome, err.code);
      return;
    }
    const step = cacheStep(d.cache, d.cacheMatch, { api: 'openai.responses', provider: conn.provider.name, model: info.model, json, raw: body });
    facts.prefix = step.prefix;
    const digest = requestDigest(json, facts);
    setImmediate(digest.run);
    facts.inputEstimate = digest.inputEstimate;
    d.gateway.open?.add(facts);
    this.turns.begin({
      facts,
      info,
      started,
      inputEstimate: digest.inputEstimate,
      finish: () => {
        digest.run();
        this.shutdownOutcome(facts);
        d.gateway.objects?.made(madeObjects(facts, owned, route()));
        const row = record(d.gateway, facts, undefined);
        admission?.settle(row.costPicos, row.inputTokens + row.outputTokens, row.attemptLog);
        this.responseEnded();
      },
    });
    forward(this.up, this.client, step.raw, false);
  }

  /**
   * A text message that is not a JSON object: no client event of the API, so it goes nowhere (the
   * upstream's error for it would be taken for the answer to a `response.create` under way, turns.ts).
   * The client gets an `error` event as for a refused `response.create`; the socket stays open and
   * no row is written: no request was made.
   */
  private refuseUnread(data: Buffer): void {
    const json = isJson(data);
    this.d.gateway.log.debug('websocket message refused: not a JSON object', { id: this.conn.id, bytes: data.length });
    const message = json ? 'A message on this socket must be a JSON object (a client event such as {"type":"response.create",…}); nothing was sent upstream.' : 'This message is not valid JSON; nothing was sent upstream.';
    const err = new GatewayError(json ? 'invalid_request' : 'invalid_json', message);
    this.sendError(err.status, adapter.renderError(err, this.conn.id).body);
  }

  private refuseBinary(): void {
    this.refusedBinary = true;
    this.d.gateway.log.debug('binary frame refused on a Responses socket', { id: this.conn.id });
    this.client.close(UNSUPPORTED_DATA, TEXT_ONLY);
  }
}

function route(): RouteMatch {
  if (RESPONSES.kind !== 'match') throw new Error('the Responses route is missing');
  return RESPONSES.route;
}

function isJson(data: Buffer): boolean {
  try {
    JSON.parse(data.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

function parseMessage(data: Buffer): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(data.toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
