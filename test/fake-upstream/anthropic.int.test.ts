import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from './index.js';

let fake: FakeUpstream;
let client: Anthropic;

beforeAll(async () => {
  fake = await startFakeUpstream();
  client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: fake.url, maxRetries: 0 });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const params = { model: 'claude-sonnet-5-5', max_tokens: 1024, messages: [{ role: 'user' as const, content: 'Weather in Paris?' }] };
const usage = { input: 120, cacheRead: 20000, cacheWrite5m: 1000, cacheWrite1h: 2000, output: 850, reasoning: 500 };
const tools = [{ name: 'get_weather', input_schema: { type: 'object' as const } }];

describe('messages', () => {
  it('answers a non-streamed request with cache usage and tool_use blocks', async () => {
    fake.script({ usage, model: 'claude-sonnet-5-5-20261001', text: 'Checking.', toolCalls: [{ arguments: { city: 'Paris' } }] });
    const { data: msg, response } = await client.messages.create({ ...params, tools }).withResponse();
    expect(msg.model).toBe('claude-sonnet-5-5-20261001');
    expect(msg.stop_reason).toBe('tool_use');
    expect(msg.content).toEqual([
      { type: 'text', text: 'Checking.' },
      { type: 'tool_use', id: expect.stringMatching(/^toolu_/) as unknown, name: 'get_weather', input: { city: 'Paris' } },
    ]);
    expect(msg.usage).toMatchObject({
      input_tokens: 120,
      cache_creation_input_tokens: 3000,
      cache_read_input_tokens: 20000,
      cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 2000 },
      output_tokens: 850,
    });
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    expect(response.headers.get('anthropic-ratelimit-requests-remaining')).toBe('3999');
    const [rec] = await fake.waitForRequests(1);
    expect(rec!.route).toBe('anthropic.messages');
    expect(rec!.headers['anthropic-version']).toBeDefined();
  });

  it('streams events that MessageStream accumulates into the final message', async () => {
    fake.script({ usage, thinking: 'Let me think.', text: 'Looking it up.', chunks: 3, toolCalls: 2 });
    const stream = client.messages.stream({ ...params, tools });
    const types: string[] = [];
    stream.on('streamEvent', (e) => types.push(e.type));
    const msg = await stream.finalMessage();
    expect(msg.usage).toMatchObject({
      input_tokens: 120,
      cache_creation_input_tokens: 3000,
      cache_read_input_tokens: 20000,
      cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 2000 },
      output_tokens: 850,
      output_tokens_details: { thinking_tokens: 500 },
    });
    expect(msg.content.map((b) => b.type)).toEqual(['thinking', 'text', 'tool_use', 'tool_use']);
    expect(msg.content[0]).toMatchObject({ thinking: 'Let me think.' });
    expect(msg.content[1]).toMatchObject({ text: 'Looking it up.' });
    expect(msg.content[3]).toMatchObject({ name: 'get_weather', input: { city: 'Lyon' } });
    expect(types.slice(0, 2)).toEqual(['message_start', 'content_block_start']);
    expect(types.at(-1)).toBe('message_stop');
    const [rec] = await fake.waitForRequests(1);
    const sent = rec!.sent.toString();
    expect(sent).toContain('event: ping\ndata: {"type": "ping"}\n\n');
    expect(sent.match(/text_delta/g)).toHaveLength(3);
    expect(sent).not.toContain('[DONE]');
  });

  it('counts tokens', async () => {
    fake.script({ usage: { input: 40, cacheRead: 2 } });
    const r = await client.messages.countTokens(params);
    expect(r.input_tokens).toBe(42);
    expect(fake.requests[0]!.path).toBe('/v1/messages/count_tokens');
  });
});

describe('errors', () => {
  it('maps a 529 to an overloaded APIError', async () => {
    fake.script({ status: 529 });
    const err: unknown = await client.messages.create(params).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    const e = err as InstanceType<typeof Anthropic.APIError>;
    expect(e.status).toBe(529);
    expect(e.type).toBe('overloaded_error');
    expect(e.requestID).toMatch(/^req_/);
  });

  it('maps a 429 to RateLimitError with retry-after and error details', async () => {
    fake.script({ status: 429, error: { details: { error_code: 'ramp_limit_exceeded' } } });
    const err: unknown = await client.messages.create(params).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    const e = err as InstanceType<typeof Anthropic.RateLimitError>;
    expect(e.headers?.get('retry-after')).toBe('1');
    expect(e.errorCode).toBe('ramp_limit_exceeded');
  });

  it('surfaces an in-stream error event as an APIError', async () => {
    fake.script({ errorEventAfter: 4 });
    const err: unknown = await client.messages.stream(params).finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).type).toBe('overloaded_error');
    const [rec] = await fake.waitForRequests(1);
    expect(rec!.sent.toString()).toMatch(/event: error\ndata: \{"type":"error","error":\{"type":"overloaded_error","message":"Overloaded"\},"request_id":"req_\w+"\}\n\n$/);
  });
});
