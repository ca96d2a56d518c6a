import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { errorReply, streamError } from './errors.js';
import { refusal } from './openai-refusals.js';
import { buildResponses } from './openai-responses.js';
import type { PromptCacheSim } from './prompt-cache.js';
import { isRecord } from './reply.js';
import { serveRealtime } from './realtime-socket.js';
import type { RecordedRequest, Scenario } from './types.js';

export interface SocketHooks {
  /** Records one client message as a request and picks its scenario. */
  begin(path: string, headers: Record<string, string>, body: Buffer): { rec: RecordedRequest; scenario: Scenario; requestId: string };
  /** The message's answer ended (sent whole, cut, or the socket closed). */
  settle(rec: RecordedRequest, sent: Buffer[]): void;
  promptCache: PromptCacheSim;
  signal: AbortSignal;
}

/** Under this path prefix every WebSocket handshake is refused with a 429 (a rate-limited deployment). */
const RATE_LIMITED = '/rate-limited/';

/**
 * OpenAI's WebSockets: the Realtime API's (`/v1/realtime`, realtime-socket.ts), and the Responses
 * API's (`GET /v1/responses` upgraded): each
 * `response.create` message is answered with the events its HTTP stream would carry, one
 * text message per event. A scenario's status of 400 or more answers with an `error` event;
 * `cutAfterEvents` drops the socket, `stallAfterEvents` goes silent, `errorEventAfter` sends the stream's error event instead.
 */
export function serveResponsesSocket(server: Server, hooks: SocketHooks): void {
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const [path = '/', search = ''] = (req.url ?? '/').split('?');
    const limited = path.startsWith(RATE_LIMITED);
    const refusal = limited ? 429 : path !== '/v1/responses' && path !== '/v1/realtime' ? 404 : req.headers.authorization === undefined ? 401 : undefined;
    if (refusal !== undefined) {
      const message = limited ? 'Rate limit reached for requests.' : refusal === 404 ? `Invalid URL (GET ${path})` : 'You did not provide an API key.';
      const body = errorReply('openai', refusal, { message }, 'req_ws').pieces[0]!;
      const wait = limited ? 'retry-after: 1\r\n' : '';
      socket.end(`HTTP/1.1 ${refusal} Refused\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nx-request-id: req_ws_refused\r\n${wait}\r\n${body.toString()}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      if (path === '/v1/realtime') return serveRealtime(ws, hooks, path, new URLSearchParams(search).get('model') ?? 'gpt-realtime', headers);
      let turn = Promise.resolve();
      ws.on('message', (data: RawData) => {
        turn = turn.then(() => answer(ws, hooks, hooks.begin(path, headers, toBuffer(data))));
      });
    });
  });
}

async function answer(ws: WebSocket, hooks: SocketHooks, m: { rec: RecordedRequest; scenario: Scenario; requestId: string }): Promise<void> {
  const { rec, scenario: s, requestId } = m;
  const sent: Buffer[] = [];
  const send = (text: string) => {
    ws.send(text);
    sent.push(Buffer.from(text));
  };
  const body = isRecord(rec.json) ? rec.json : {};
  if (body.type !== 'response.create') return hooks.settle(rec, sent);
  const refused = s.refuseUnsupported === true ? refusal('openai.responses', body) : undefined;
  if (refused !== undefined || (s.status !== undefined && s.status >= 400)) {
    const status = refused !== undefined ? 400 : s.status!;
    const error = JSON.parse(errorReply('openai', status, refused ?? s.error, requestId).pieces[0]!.toString()) as Record<string, unknown>;
    send(JSON.stringify({ type: 'error', status, ...error }));
    rec.outcome = 'complete';
    return hooks.settle(rec, sent);
  }
  const reply = buildResponses({ req: rec, requestId, body: { ...body, stream: true }, scenario: s, promptCache: hooks.promptCache });
  rec.status = 101;
  await sendEvents(ws, hooks, rec, s, sent, reply.pieces.map(dataOf), (i) => dataOf(streamError('openai.responses', s.error)(i, requestId)));
}

/**
 * Sends a reply's events, one message each, with the scenario's faults (`cutAfterEvents`,
 * `stallAfterEvents`, `errorEventAfter` when the API has an in-stream error, `chunkDelayMs`),
 * then settles the request.
 */
export async function sendEvents(ws: WebSocket, hooks: SocketHooks, rec: RecordedRequest, s: Scenario, sent: Buffer[], events: readonly string[], errorEvent?: (index: number) => string, lastInstead?: () => string | undefined): Promise<void> {
  const send = (text: string) => {
    ws.send(text);
    sent.push(Buffer.from(text));
  };
  for (let i = 0; i < events.length; i++) {
    if (s.cutAfterEvents === i) {
      rec.outcome = 'cut';
      ws.terminate();
      return hooks.settle(rec, sent);
    }
    // Stalled: the socket stays open and silent (the request stays pending).
    if (s.stallAfterEvents === i) return;
    if (errorEvent !== undefined && s.errorEventAfter === i) {
      send(errorEvent(i));
      break;
    }
    if (s.chunkDelayMs && i > 0) await new Promise((r) => setTimeout(r, s.chunkDelayMs));
    if (ws.readyState !== ws.OPEN || hooks.signal.aborted) {
      rec.outcome = 'client-aborted';
      rec.clientAborted = true;
      return hooks.settle(rec, sent);
    }
    // Stopped by the client (a Realtime response.cancel): one last event ends it.
    const last = i > 0 ? lastInstead?.() : undefined;
    if (last !== undefined) {
      send(last);
      break;
    }
    send(events[i]!);
  }
  rec.outcome = 'complete';
  hooks.settle(rec, sent);
}

/** The JSON of an SSE event (`event: …\ndata: {…}\n\n`). */
function dataOf(piece: Buffer): string {
  const text = piece.toString('utf8');
  const at = text.indexOf('data: ');
  return text.slice(at + 6).trimEnd();
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}
