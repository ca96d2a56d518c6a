import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { eventually, useHarness } from '../support/harness.js';

// Codex closes its connection as soon as it reads response.completed, while the upstream may
// still hold the body open for a moment: the answer was whole, and its row must say so.
const h = useHarness();

const sse = (data: object | string, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

const chunk = (delta: object, finish: string | null) => ({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta, finish_reason: finish }] });
const chatEvents = [
  sse(chunk({ role: 'assistant', content: 'hi' }, null)),
  sse(chunk({}, 'stop')),
  sse({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 } }),
  sse('[DONE]'),
];

const message = { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 12, output_tokens: 1 } };
const anthropicEvents = [
  sse({ type: 'message_start', message }, 'message_start'),
  sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start'),
  sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hi' } }, 'content_block_delta'),
  sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop'),
  sse({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 3 } }, 'message_delta'),
  sse({ type: 'message_stop' }, 'message_stop'),
];

const response = (status: string, usage?: object) => ({ id: 'resp_1', object: 'response', created_at: 1, status, model: 'gpt-5', output: [], usage: usage ?? null });
const responsesEvents = [
  sse({ type: 'response.created', sequence_number: 0, response: response('in_progress') }, 'response.created'),
  sse({ type: 'response.output_text.delta', sequence_number: 1, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'hi' }, 'response.output_text.delta'),
  sse(
    { type: 'response.completed', sequence_number: 2, response: response('completed', { input_tokens: 12, input_tokens_details: { cached_tokens: 0 }, output_tokens: 3, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15 }) },
    'response.completed',
  ),
];

/** Sends a streaming request, reads until `last` has arrived, then hangs up; returns the gateway's request id. */
async function readToEndThenLeave(path: string, body: object, headers: Record<string, string>, last: string): Promise<string> {
  const res = await request(`${h.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  expect(res.statusCode).toBe(200);
  let text = '';
  for await (const piece of res.body) {
    text += String(piece);
    if (text.includes(last)) break; // leaving the loop destroys the body: the connection closes
  }
  expect(text).toContain(last);
  return String(res.headers['x-tollgate-request-id']);
}

describe('a client that hangs up once it has read the stream to its end event', () => {
  const cases = [
    {
      name: 'OpenAI chat, usage asked by the client',
      path: '/v1/chat/completions',
      body: { model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] },
      events: chatEvents,
      last: '[DONE]',
    },
    { name: 'OpenAI chat, usage asked by the gateway', path: '/v1/chat/completions', body: { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] }, events: chatEvents, last: '[DONE]' },
    { name: 'OpenAI Responses', path: '/v1/responses', body: { model: 'gpt-5', stream: true, input: 'hi' }, events: responsesEvents, last: 'response.completed' },
    { name: 'Anthropic Messages', path: '/v1/messages', body: { model: 'claude-sonnet-4-5', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'hi' }] }, events: anthropicEvents, last: 'message_stop' },
  ];

  for (const c of cases) {
    it(`is recorded as a whole answer, not as aborted (${c.name})`, async () => {
      // The upstream sends every event, then holds the body open.
      h.fake.script({ events: c.events, stallAfterEvents: c.events.length, headers: { 'content-type': 'text/event-stream' } });
      const headers: Record<string, string> = c.path === '/v1/messages' ? { 'x-api-key': h.key.key, 'anthropic-version': '2023-06-01' } : { authorization: `Bearer ${h.key.key}` };
      const id = await readToEndThenLeave(c.path, c.body, headers, c.last);
      const row = await eventually(() => h.row(id));
      expect(row).toMatchObject({ outcome: 'ok', errorType: null, usageSource: 'final', inputTokens: 12, outputTokens: 3 });
    });
  }

  it('a client that leaves before the end event is still recorded as aborted', async () => {
    h.fake.script({ events: chatEvents, stallAfterEvents: 2, headers: { 'content-type': 'text/event-stream' } });
    const id = await readToEndThenLeave('/v1/chat/completions', { model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] }, { authorization: `Bearer ${h.key.key}` }, '"finish_reason":"stop"');
    const row = await eventually(() => h.row(id));
    expect(row).toMatchObject({ outcome: 'client_aborted', errorType: 'client_disconnected' });
  });
});
