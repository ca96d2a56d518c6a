import type { RequestFacts } from '../../metering/build-row.js';
import { ResponsesStreamReader, TERMINAL } from '../../providers/openai/responses-stream.js';
import { dig, parseJson, peekType } from '../../providers/shared/json.js';
import type { Metered, RequestInfo } from '../../providers/types.js';
import { settle } from '../settle.js';


/** One `response.create` sent upstream, until its terminal event or the connection's end. */
export interface Turn {
  facts: RequestFacts;
  /** The request as inspected: the row's service tier when the response names none. */
  info: Pick<RequestInfo, 'stream' | 'serviceTier'>;
  started: number;
  inputEstimate: () => number | undefined;
  /** Records the row (and settles the budgets' hold); called once. */
  finish: () => void;
}

interface Open extends Turn {
  reader: ResponsesStreamReader;
  /** Its `response.created` came: the upstream took it, and it runs until its terminal event. */
  begun: boolean;
}

/**
 * The responses of one Responses WebSocket, metered as a stream of the HTTP API is: each
 * server event goes to the same reader, and a row is recorded per response. OpenAI runs
 * one response at a time on a connection, so its events belong to the oldest open turn;
 * an `error` event, to the request it refused.
 */
export class SocketTurns {
  private readonly open: Open[] = [];

  get size(): number {
    return this.open.length;
  }

  begin(turn: Turn): void {
    this.open.push({ ...turn, reader: new ResponsesStreamReader(), begun: false });
  }

  /** A text message from upstream (sent on to the client unchanged by the caller). */
  event(text: string): void {
    const type = peekType(text) ?? '';
    if (type === 'error') return this.refused(text);
    const turn = this.open[0];
    if (turn === undefined) return;
    if (type === 'response.created') turn.begun = true;
    this.read(turn, text);
    // Nothing follows a Response's terminal event.
    if (TERMINAL.has(type)) this.end(this.open.shift()!, true, false);
  }

  /**
   * An `error` event answers a client message the upstream refused: a `response.create` that
   * never began (the oldest such), or another message (an unknown type), which leaves the
   * response in progress running. Taken for the one in progress, it cost that response its row.
   */
  private refused(text: string): void {
    const i = this.open.findIndex((t) => !t.begun);
    if (i < 0) return;
    const [turn] = this.open.splice(i, 1) as [Open];
    this.read(turn, text);
    // A socket's error event carries the HTTP status the same failure would have had.
    turn.facts.status = errorStatus(text) ?? turn.facts.status;
    this.end(turn, true, false);
  }

  private read(turn: Open, text: string): void {
    if (turn.facts.ttftMs === null) turn.facts.ttftMs = Math.round(performance.now() - turn.started);
    turn.reader.onEvent({ event: undefined, data: text, id: undefined, retry: undefined });
  }

  /** The connection ended: every response still open is recorded as cut, by the client or not. */
  closeAll(clientGone: boolean, err?: unknown): void {
    for (const turn of this.open.splice(0)) this.end(turn, false, clientGone, err);
  }

  private end(turn: Open, complete: boolean, clientGone: boolean, err?: unknown): void {
    const m: Metered = turn.reader.result();
    settle({ facts: turn.facts, info: turn.info, inputEstimate: turn.inputEstimate }, m, complete, clientGone, err);
    turn.facts.latencyMs = Math.round(performance.now() - turn.started);
    turn.finish();
  }
}

function errorStatus(text: string): number | undefined {
  const status = dig(parseJson(text), 'status');
  return typeof status === 'number' && Number.isInteger(status) && status >= 400 && status < 600 ? status : undefined;
}
