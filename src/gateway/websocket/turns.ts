import type { RequestFacts } from '../../metering/build-row.js';
import { ResponsesStreamReader, TERMINAL } from '../../providers/openai/responses-stream.js';
import { dig, parseJson, peekType } from '../../providers/shared/json.js';
import type { Metered, RequestInfo } from '../../providers/types.js';
import { settle } from '../relay.js';


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
}

/**
 * The responses of one Responses WebSocket, metered as a stream of the HTTP API is: each
 * server event goes to the same reader, and a row is recorded per response. OpenAI runs
 * one response at a time on a connection, so events belong to the oldest open turn.
 */
export class SocketTurns {
  private readonly open: Open[] = [];

  get size(): number {
    return this.open.length;
  }

  begin(turn: Turn): void {
    this.open.push({ ...turn, reader: new ResponsesStreamReader() });
  }

  /** A text message from upstream (sent on to the client unchanged by the caller). */
  event(text: string): void {
    const turn = this.open[0];
    if (turn === undefined) return;
    if (turn.facts.ttftMs === null) turn.facts.ttftMs = Math.round(performance.now() - turn.started);
    turn.reader.onEvent({ event: undefined, data: text, id: undefined, retry: undefined });
    const type = peekType(text) ?? '';
    // Nothing follows a Response's terminal event; on a socket an `error` also ends the one in progress.
    if (!TERMINAL.has(type) && type !== 'error') return;
    // A socket's error event carries the HTTP status the same failure would have had.
    if (type === 'error') turn.facts.status = errorStatus(text) ?? turn.facts.status;
    this.end(this.open.shift()!, true, false);
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
