import { describe, expect, it } from 'vitest';
import { planTranslation } from './index.js';
import { TO_OPENAI, plan, providerFixture, translateChunks } from './testing.js';

const json = { contentType: 'application/json', stream: false };

describe('non-streamed bodies', () => {
  it('an OpenAI completion with tool calls → an Anthropic Message with tool_use blocks and the usage split', () => {
    const r = translateChunks(plan('anthropic.messages', { model: 'gpt', max_tokens: 10, messages: [] }), [providerFixture('openai', 'chat.json')], json);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({
      id: 'msg_chatcmpl-DA3zK1mQ8p',
      type: 'message',
      role: 'assistant',
      model: 'gpt-5.6-sol-2026-09-30',
      content: [
        { type: 'tool_use', id: 'call_a1Qz', name: 'get_weather', input: { city: 'Paris' } },
        { type: 'tool_use', id: 'call_b2Rw', name: 'get_weather', input: { city: 'Lyon' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 128, cache_creation_input_tokens: 896, cache_read_input_tokens: 4096, cache_creation: { ephemeral_5m_input_tokens: 896, ephemeral_1h_input_tokens: 0 }, output_tokens: 410, output_tokens_details: { thinking_tokens: 320 } },
    });
    expect(r.metered).toMatchObject({ usage: { inputTokens: 5120, cacheReadTokens: 4096, outputTokens: 410, toolCalls: 2 } });
  });

  it("records the response id the client received, body or stream, as the client's telemetry reports it", () => {
    const body = translateChunks(plan('openai.chat', { model: 'claude', messages: [{ role: 'user', content: 'hi' }] }), [providerFixture('anthropic', 'message.json')], json);
    expect(body.metered.responseId).toBe((JSON.parse(body.text) as { id: string }).id);
    expect(body.metered.responseId).toBe('chatcmpl-msg_01XFDUDYJgAACzvnptvVoYEL');
    const sse = { contentType: 'text/event-stream', stream: true };
    const stream = translateChunks(plan('anthropic.messages', { model: 'gpt', max_tokens: 10, stream: true, messages: [] }), [providerFixture('openai', 'chat-stream-usage.sse')], sse);
    const start = /"id":"(msg_[^"]+)"/.exec(stream.text)![1];
    expect(stream.metered.responseId).toBe(start);
    expect(start).toBe('msg_chatcmpl-DA41f9sQx2');
  });

  it('llama.cpp’s timings.cache_n counts as cache reads, on both sides', () => {
    const r = translateChunks(plan('anthropic.messages', { model: 'qwen', max_tokens: 10, messages: [] }), [providerFixture('openai', 'chat-llamacpp.json')], json);
    const msg = JSON.parse(r.text) as { content: unknown; stop_reason: string; usage: Record<string, number> };
    expect(msg.content).toEqual([{ type: 'text', text: 'The capital of France is Paris.' }]);
    expect(msg.stop_reason).toBe('end_turn');
    expect(msg.usage).toMatchObject({ input_tokens: 100, cache_read_input_tokens: 1100, output_tokens: 42 });
    expect(r.metered.usage).toMatchObject({ inputTokens: 1200, cacheReadTokens: 1100 });
  });

  it('an answer without usage: the Message carries the input estimate the ledger records, not 0', () => {
    const planned = planTranslation({ clientApi: 'anthropic.messages', body: { model: 'qwen', max_tokens: 10, messages: [] }, target: TO_OPENAI, openaiNative: false, requestId: 'req_test', now: 1795000000, inputEstimate: () => 321 });
    const chat = Buffer.from(JSON.stringify({ id: 'c1', object: 'chat.completion', model: 'qwen', choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop' }] }));
    const msg = JSON.parse(translateChunks(planned, [chat], json).text) as { usage: Record<string, number> };
    expect(msg.usage).toMatchObject({ input_tokens: 321, output_tokens: 0 });
  });

  it('tool arguments that are not JSON: a 502 in Anthropic’s shape, and the usage still metered', () => {
    const bad = { id: 'x', model: 'q', choices: [{ index: 0, message: { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":' } }] }, finish_reason: 'tool_calls' }], usage: { prompt_tokens: 5, completion_tokens: 3 } };
    const r = translateChunks(plan('anthropic.messages', { model: 'q', max_tokens: 10, messages: [] }), [Buffer.from(JSON.stringify(bad))], json);
    expect(r.status).toBe(502);
    expect(JSON.parse(r.text)).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    expect(r.text).toContain('not JSON');
    expect(r.metered).toMatchObject({ usage: { inputTokens: 5, outputTokens: 3 }, error: { type: 'untranslatable_response' } });
  });

  it('an Anthropic Message → an OpenAI completion; thinking left out, counted in reasoning_tokens', () => {
    const r = translateChunks(plan('openai.chat', { model: 'claude', messages: [{ role: 'user', content: 'hi' }] }), [providerFixture('anthropic', 'message.json')], json);
    expect(JSON.parse(r.text)).toEqual({
      id: 'chatcmpl-msg_01XFDUDYJgAACzvnptvVoYEL',
      object: 'chat.completion',
      created: 1795000000,
      model: 'claude-sonnet-5-5-20261001',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: "I'll check both cities.",
            refusal: null,
            tool_calls: [
              { id: 'toolu_01A09q90qw90lq917835lq9', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
              { id: 'toolu_01B19r91rw91mr918836mr0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lyon"}' } },
            ],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 23120, completion_tokens: 850, total_tokens: 23970, prompt_tokens_details: { cached_tokens: 20000, cache_write_tokens: 3000 }, completion_tokens_details: { reasoning_tokens: 500 } },
      service_tier: 'default',
      system_fingerprint: null,
    });
  });
});

describe('upstream errors in the client’s shape', () => {
  it('OpenAI 429 → Anthropic rate_limit_error, status kept', () => {
    const r = translateChunks(plan('anthropic.messages', { model: 'q', max_tokens: 1, messages: [] }), [providerFixture('openai', 'error-rate-limit.json')], { ...json, status: 429 });
    expect(r.status).toBe(429);
    expect(JSON.parse(r.text)).toMatchObject({ type: 'error', error: { type: 'rate_limit_error', message: expect.stringContaining('Rate limit reached') as unknown, tollgate: { upstream_status: 429, upstream_type: 'rate_limit_exceeded' } }, request_id: 'req_test' });
  });

  it('vLLM 404 (integer code) → Anthropic not_found_error', () => {
    const r = translateChunks(plan('anthropic.messages', { model: 'q', max_tokens: 1, messages: [] }), [providerFixture('openai', 'error-vllm.json')], { ...json, status: 404 });
    expect(JSON.parse(r.text)).toMatchObject({ error: { type: 'not_found_error', message: 'The model `llama-4-scout` does not exist.' } });
  });

  it('Anthropic 429 → OpenAI error with Anthropic’s type as the code; 529 → 503; a non-JSON body keeps its text', () => {
    const t = plan('openai.chat', { model: 'c', messages: [{ role: 'user', content: 'hi' }] });
    const r = translateChunks(t, [providerFixture('anthropic', 'error-rate-limit.json')], { ...json, status: 429 });
    expect(r.status).toBe(429);
    expect(JSON.parse(r.text)).toEqual({ error: { message: expect.stringContaining('rate limit') as unknown, type: 'rate_limit_error', param: null, code: 'rate_limit_error' } });
    const over = translateChunks(t, [Buffer.from('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}')], { ...json, status: 529 });
    expect(over.status).toBe(503);
    const html = translateChunks(t, [Buffer.from('<html>Bad gateway</html>')], { ...json, status: 502 });
    expect(JSON.parse(html.text)).toMatchObject({ error: { message: '<html>Bad gateway</html>', type: 'server_error' } });
  });
});

describe('a stream its server labels otherwise (text/plain, application/json)', () => {
  const streamed = () => plan('anthropic.messages', { model: 'gpt', max_tokens: 10, stream: true, messages: [] });
  const labelled = (contentType: string, chunks = [providerFixture('openai', 'chat-stream-usage.sse')]) => translateChunks(streamed(), chunks, { contentType, stream: true });

  it.each(['text/plain; charset=utf-8', 'application/json'])('an OpenAI chat stream labelled %s is translated as the events it is, under an event-stream head', (contentType) => {
    const proper = labelled('text/event-stream');
    const got = labelled(contentType);
    expect(got).toMatchObject({ status: 200, contentType: 'text/event-stream; charset=utf-8' });
    expect(got.text).toBe(proper.text);
    expect(got.text).toContain('event: message_stop');
    expect(got.metered.usage).toEqual(proper.metered.usage);
  });

  it('white space alone in the first chunk waits for the byte that decides', () => {
    const got = labelled('text/plain', [Buffer.from('\n'), providerFixture('openai', 'chat-stream-usage.sse')]);
    expect(got.contentType).toBe('text/event-stream; charset=utf-8');
    expect(got.text).toContain('event: message_start');
  });

  it('a JSON body answering a streamed request is rebuilt as a body', () => {
    const got = labelled('application/json', [providerFixture('openai', 'chat.json')]);
    expect(got).toMatchObject({ status: 200, contentType: 'application/json' });
    expect(JSON.parse(got.text)).toMatchObject({ type: 'message', stop_reason: 'tool_use' });
  });
});
