import { describe, expect, it } from 'vitest';
import { planTranslation } from '../index.js';
import { TO_OPENAI, events, plan, providerFixture, translateChunks } from '../testing.js';

const streamed = (file: string, body: Record<string, unknown> = {}, complete = true) =>
  translateChunks(plan('anthropic.messages', { model: 'qwen3', max_tokens: 100, stream: true, messages: [], ...body }), [providerFixture('openai', file)], { contentType: 'text/event-stream', stream: true, complete });

const raw = (text: string) =>
  translateChunks(plan('anthropic.messages', { model: 'qwen3', max_tokens: 100, stream: true, messages: [] }), [Buffer.from(text)], { contentType: 'text/event-stream', stream: true });

describe('OpenAI chat chunks → Anthropic events', () => {
  it('a stream that ends before [DONE] without a finish, or with nothing readable, ends with an error event, not in silence', () => {
    for (const body of ['data: {garbage\n\n', 'data: {"id":"c1","model":"qwen3","choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n']) {
      const ev = events(raw(body).text);
      expect(ev.at(-1)).toEqual({ event: 'error', data: { type: 'error', error: { type: 'api_error', message: 'The upstream stream ended before it was complete: the answer is cut short.' } } });
    }
  });

  it('a stream that gave its finish reason but closed without [DONE] is closed as complete', () => {
    const ev = events(raw('data: {"id":"c1","model":"qwen3","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}]}\n\n').text);
    expect(ev.map((e) => e.event).slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(ev.at(-2)!.data).toMatchObject({ delta: { stop_reason: 'end_turn' } });
  });

  it('text, then two tool calls: blocks opened and closed in order, usage and stop reason at the end', () => {
    const r = streamed('chat-stream-usage.sse');
    const ev = events(r.text);
    expect(ev.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    // Every data repeats its event name as `type`, as Anthropic's do.
    for (const e of ev) expect((e.data as { type: string }).type).toBe(e.event);
    expect(ev[0]!.data).toMatchObject({ message: { id: 'msg_chatcmpl-DA41f9sQx2', model: 'gpt-5.6-sol-2026-09-30', role: 'assistant', content: [] } });
    expect(ev[1]!.data).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    expect(ev[5]!.data).toEqual({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'call_Wd81', name: 'get_weather', input: {} } });
    const json = ev.filter((e) => (e.data as { delta?: { type: string } }).delta?.type === 'input_json_delta').map((e) => (e.data as { index: number; delta: { partial_json: string } }));
    expect(json.filter((d) => d.index === 1).map((d) => d.delta.partial_json).join('')).toBe('{"city":"Paris"}');
    expect(json.filter((d) => d.index === 2).map((d) => d.delta.partial_json).join('')).toBe('{"city":"Lyon"}');
    expect(ev[12]!.data).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      // prompt 2048 = 1024 cached + 512 written + 512 uncached
      usage: { input_tokens: 512, cache_creation_input_tokens: 512, cache_read_input_tokens: 1024, output_tokens: 187, output_tokens_details: { thinking_tokens: 64 } },
    });
    expect(r.metered).toMatchObject({ usageSource: 'final', sawEnd: true, usage: { inputTokens: 2048, outputTokens: 187, toolCalls: 2 } });
  });

  it('each upstream chunk is answered at once: nothing is held back until the end', () => {
    const chunks = providerFixture('openai', 'chat-stream-usage.sse').toString().split(/(?<=\n\n)/).map((s) => Buffer.from(s));
    const r = translateChunks(plan('anthropic.messages', { model: 'q', max_tokens: 1, stream: true, messages: [] }), chunks, { contentType: 'text/event-stream', stream: true });
    // The first chunk yields message_start and the text block's start, before any later chunk arrives.
    expect(r.emits[0]).toContain('event: message_start');
    expect(r.emits.length).toBeGreaterThanOrEqual(chunks.length - 2);
  });

  it('usage repeated on every chunk (Gemini’s OpenAI endpoint): the last one counts; reasoning tokens kept', () => {
    const ev = events(streamed('chat-stream-gemini-compat.sse').text);
    const delta = ev.find((e) => e.event === 'message_delta')!.data as { delta: { stop_reason: string }; usage: Record<string, number> };
    expect(delta.delta.stop_reason).toBe('end_turn');
    expect(delta.usage).toMatchObject({ input_tokens: 14, output_tokens: 98 });
    const text = ev.flatMap((e) => ((e.data as { delta?: { text?: string } }).delta?.text !== undefined ? [(e.data as { delta: { text: string } }).delta.text] : []));
    expect(text.join('')).toBe('Paris is the capital of France, known for the Eiffel Tower.');
  });

  it('reasoning tokens reach the client as output_tokens_details.thinking_tokens', () => {
    const delta = events(streamed('chat-stream-gemini-compat.sse').text).find((e) => e.event === 'message_delta')!.data as { usage: Record<string, unknown> };
    expect(delta.usage.output_tokens_details).toEqual({ thinking_tokens: expect.any(Number) as number });
    expect((delta.usage.output_tokens_details as { thinking_tokens: number }).thinking_tokens).toBeGreaterThan(0);
  });

  it('a stream with no usage (a server that ignores stream_options): the client is told the input estimate the ledger records, not 0', () => {
    const body = { model: 'qwen3', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'x'.repeat(2000) }] };
    const planned = planTranslation({ clientApi: 'anthropic.messages', body, target: TO_OPENAI, openaiNative: false, requestId: 'req_test', now: 1795000000, inputEstimate: () => 504 });
    const text = 'data: {"id":"c1","model":"qwen3","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n';
    const ev = events(translateChunks(planned, [Buffer.from(text)], { contentType: 'text/event-stream', stream: true }).text);
    expect(ev.find((e) => e.event === 'message_delta')!.data).toMatchObject({ usage: { input_tokens: 504, output_tokens: 0 } });
    // With the upstream's usage, the estimate is not used.
    expect(events(streamed('chat-stream-usage.sse').text).find((e) => e.event === 'message_delta')!.data).not.toMatchObject({ usage: { input_tokens: 504 } });
  });

  it('an error chunk becomes an Anthropic error event and ends the stream', () => {
    const r = streamed('chat-stream-error.sse');
    const ev = events(r.text);
    expect(ev.at(-1)).toEqual({ event: 'error', data: { type: 'error', error: { type: 'api_error', message: 'The server had an error while processing your request. Sorry about that!' } } });
    expect(ev.some((e) => e.event === 'message_stop')).toBe(false);
    expect(r.metered.error?.type).toBe('server_error');
  });

  it('a stream cut before [DONE] gets no message_stop: the client sees it incomplete, as the ledger does', () => {
    const whole = providerFixture('openai', 'chat-stream-usage.sse').toString();
    const cut = whole.slice(0, whole.indexOf('"finish_reason":"tool_calls"'));
    const r = translateChunks(plan('anthropic.messages', { model: 'q', max_tokens: 1, stream: true, messages: [] }), [Buffer.from(cut)], { contentType: 'text/event-stream', stream: true, complete: false });
    expect(r.text).not.toContain('message_stop');
    expect(r.metered.sawEnd).toBe(false);
  });

  it('reasoning_content becomes a thinking block; keep-alive comments become pings; a matched stop sequence is named', () => {
    const sse = [
      ': keep-alive',
      'data: {"id":"c1","model":"qwen3","choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"Let me think."}}]}',
      'data: {"id":"c1","model":"qwen3","choices":[{"index":0,"delta":{"content":"Answer"}}]}',
      ': keep-alive',
      'data: {"id":"c1","model":"qwen3","choices":[{"index":0,"delta":{},"finish_reason":"stop","stop_reason":"###"}]}',
      'data: {"id":"c1","model":"qwen3","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}',
      'data: [DONE]',
      '',
    ].join('\n\n');
    const t = plan('anthropic.messages', { model: 'qwen3', max_tokens: 10, stream: true, stop_sequences: ['###'], messages: [] });
    const ev = events(translateChunks(t, [Buffer.from(sse)], { contentType: 'text/event-stream', stream: true }).text);
    expect(ev.map((e) => e.event)).toEqual(['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'content_block_start', 'content_block_delta', 'ping', 'content_block_stop', 'message_delta', 'message_stop']);
    expect(ev[1]!.data).toMatchObject({ content_block: { type: 'thinking', thinking: '', signature: '' } });
    expect(ev[2]!.data).toMatchObject({ delta: { type: 'thinking_delta', thinking: 'Let me think.' } });
    expect(ev[8]!.data).toMatchObject({ delta: { stop_reason: 'stop_sequence', stop_sequence: '###' }, usage: { input_tokens: 10, output_tokens: 5 } });
  });

  it('servers that omit the tool call index start a new block for each new call id', () => {
    const sse = [
      'data: {"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{\\"x\\":1}"}}]}}]}',
      'data: {"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"id":"b","type":"function","function":{"name":"g","arguments":"{}"}}]}}]}',
      'data: {"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}',
      'data: [DONE]',
      '',
    ].join('\n\n');
    const ev = events(translateChunks(plan('anthropic.messages', { model: 'q', max_tokens: 1, stream: true, messages: [] }), [Buffer.from(sse)], { contentType: 'text/event-stream', stream: true }).text);
    const starts = ev.filter((e) => e.event === 'content_block_start').map((e) => (e.data as { content_block: { id: string } }).content_block.id);
    expect(starts).toEqual(['a', 'b']);
    expect((ev.find((e) => e.event === 'message_delta')!.data as { delta: { stop_reason: string } }).delta.stop_reason).toBe('tool_use');
  });
});
