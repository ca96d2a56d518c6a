import type { WebSocket } from 'ws';
import { type SocketHooks, sendEvents } from './responses-socket.js';
import { isRecord } from './reply.js';

let seq = 0;
const eventId = () => `event_${(++seq).toString(16).padStart(8, '0')}`;

/**
 * OpenAI's Realtime API (`/v1/realtime?model=…` upgraded): `session.created` at once, naming the
 * URL's model; `session.update` answered with `session.updated`. A `response.create`, or an
 * `input_audio_buffer.commit` (as server voice activity detection would start one), is a response:
 * `response.created`, the transcript in `chunks` deltas, then `response.done` with the scenario's
 * usage (input = `input` + `cacheRead`; the audio parts `audioInput`, `audioCacheRead`,
 * `audioOutput`). A status of 400 or more sends an `error` event instead; `stopReason:
 * "cancelled"` or `"failed"` ends the response so; `cutAfterEvents` drops the socket. A
 * `response.cancel` naming the response in progress ends it at the next event, `cancelled`, with its input only.
 */
export function serveRealtime(ws: WebSocket, hooks: SocketHooks, path: string, model: string, headers: Record<string, string>): void {
  const session = { id: `sess_${(++seq).toString(16)}`, object: 'realtime.session', type: 'realtime', model, output_modalities: ['audio'] };
  ws.send(JSON.stringify({ type: 'session.created', event_id: eventId(), session }));
  let turn = Promise.resolve();
  const cancels = new Set<string>();
  ws.on('message', (data: Buffer) => {
    const m = hooks.begin(path, headers, Buffer.from(data));
    const body = isRecord(m.rec.json) ? m.rec.json : {};
    // A cancel acts on the response in progress, not after it.
    if (body.type === 'response.cancel') {
      if (typeof body.response_id === 'string') cancels.add(body.response_id);
      m.rec.outcome = 'complete';
      return hooks.settle(m.rec, []);
    }
    turn = turn.then(() => answer(ws, hooks, m, session, cancels));
  });
}

async function answer(ws: WebSocket, hooks: SocketHooks, m: ReturnType<SocketHooks['begin']>, session: Record<string, unknown>, cancels: ReadonlySet<string>): Promise<void> {
  const { rec, scenario: s } = m;
  const sent: Buffer[] = [];
  const send = (value: Record<string, unknown>) => {
    const text = JSON.stringify({ event_id: eventId(), ...value });
    ws.send(text);
    sent.push(Buffer.from(text));
  };
  const body = isRecord(rec.json) ? rec.json : {};
  rec.outcome = 'complete';
  if (body.type === 'session.update') {
    send({ type: 'session.updated', session: { ...session, ...(isRecord(body.session) ? body.session : {}) } });
    return hooks.settle(rec, sent);
  }
  if (body.type !== 'response.create' && body.type !== 'input_audio_buffer.commit') return hooks.settle(rec, sent);
  if (s.status !== undefined && s.status >= 400) {
    send({ type: 'error', error: { type: 'invalid_request_error', code: s.error?.code ?? 'invalid_value', message: s.error?.message ?? 'Invalid value.', param: null } });
    return hooks.settle(rec, sent);
  }
  const id = `resp_${(++seq).toString(16).padStart(8, '0')}`;
  const u = s.usage ?? {};
  const input = (u.input ?? 20) + (u.cacheRead ?? 0);
  const usage = {
    total_tokens: input + (u.output ?? 30),
    input_tokens: input,
    output_tokens: u.output ?? 30,
    input_token_details: { text_tokens: input - (u.audioInput ?? 0) - (u.audioCacheRead ?? 0), audio_tokens: (u.audioInput ?? 0) + (u.audioCacheRead ?? 0), image_tokens: 0, cached_tokens: u.cacheRead ?? 0, cached_tokens_details: { text_tokens: (u.cacheRead ?? 0) - (u.audioCacheRead ?? 0), audio_tokens: u.audioCacheRead ?? 0, image_tokens: 0 } },
    output_token_details: { text_tokens: (u.output ?? 30) - (u.audioOutput ?? 0), audio_tokens: u.audioOutput ?? 0 },
  };
  const events: Record<string, unknown>[] = [{ type: 'response.created', response: { id, object: 'realtime.response', status: 'in_progress', output: [], usage: null } }];
  for (let i = 0; i < (s.chunks ?? 3); i++) events.push({ type: 'response.output_audio_transcript.delta', response_id: id, item_id: `item_${id}`, output_index: 0, content_index: 0, delta: `word${i} ` });
  const status = s.stopReason === 'cancelled' || s.stopReason === 'failed' ? s.stopReason : 'completed';
  const details = status === 'failed' ? { type: 'failed', error: { type: 'server_error', code: 'server_error' } } : status === 'cancelled' ? { type: 'cancelled', reason: 'turn_detected' } : null;
  events.push({ type: 'response.done', response: { id, object: 'realtime.response', status, status_details: details, output: [], usage } });
  // Cancelled: done at once, with the usage of a response stopped early (its input, no output).
  const cancelled = () =>
    cancels.has(id) ? JSON.stringify({ event_id: eventId(), type: 'response.done', response: { id, object: 'realtime.response', status: 'cancelled', status_details: { type: 'cancelled', reason: 'client_cancelled' }, output: [], usage: { ...usage, total_tokens: input, output_tokens: 0, output_token_details: { text_tokens: 0, audio_tokens: 0 } } } }) : undefined;
  await sendEvents(ws, hooks, rec, s, sent, events.map((e) => JSON.stringify({ event_id: eventId(), ...e })), undefined, cancelled);
}
