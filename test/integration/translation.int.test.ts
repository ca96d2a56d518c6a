import Anthropic from '@anthropic-ai/sdk';
import { VERSION as ANTHROPIC_SDK } from '@anthropic-ai/sdk/version';
import OpenAI from 'openai';
import { VERSION as OPENAI_SDK } from 'openai/version';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.js';
import { translatingProviders } from '../support/translating-providers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ providers: translatingProviders });
});
afterAll(() => h.close());
beforeEach(async () => {
  h.fake.reset();
  await h.mark();
});

const BILLING = 'x-anthropic-billing-header: cc_version=2.1.197.123; cc_entrypoint=cli; cch=00000;';
const TOOLS = [
  { name: 'Read', description: 'Reads a file.', input_schema: { type: 'object', properties: { file_path: { type: 'string' } }, required: ['file_path'] } },
  { name: 'Bash', description: 'Runs a command.', input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } },
];

/** The request Claude Code sends (protocols.md §3.9, and a capture of Claude Code 2.1.197), aimed at a local model. */
function claudeCodeRequest(extra: Record<string, unknown> = {}) {
  return {
    model: 'qwen3-coder',
    max_tokens: 8000,
    system: [
      { type: 'text', text: BILLING },
      { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude.", cache_control: { type: 'ephemeral' } },
      { type: 'text', text: 'You are an interactive agent that helps users with software engineering tasks.', cache_control: { type: 'ephemeral' } },
    ],
    tools: TOOLS,
    metadata: { user_id: '{"device_id":"ea2d","account_uuid":"","session_id":"sess-translate-1"}' },
    thinking: { type: 'adaptive' },
    context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
    output_config: { effort: 'high' },
    messages: [
      { role: 'user', content: [{ type: 'text', text: '<system-reminder>Today is 2026-12-02.</system-reminder>' }, { type: 'text', text: 'read a.txt', cache_control: { type: 'ephemeral' } }] },
      { role: 'system', content: 'Available agent types: general-purpose.' },
    ],
    ...extra,
  } as unknown as Anthropic.MessageCreateParamsNonStreaming;
}

const CLAUDE_CODE_HEADERS = {
  'anthropic-beta': 'claude-code-20250219,context-1m-2025-08-07,interleaved-thinking-2025-05-14',
  'anthropic-version': '2023-06-01',
  'x-app': 'cli',
  'x-claude-code-session-id': 'sess-translate-1',
};

const anthropic = () => new Anthropic({ apiKey: h.key.key, baseURL: h.url, maxRetries: 0 });
const openai = () => new OpenAI({ apiKey: h.key.key, baseURL: `${h.url}/v1`, maxRetries: 0 });

describe('an Anthropic client (Claude Code’s request shape) served by an OpenAI-style upstream', () => {
  const usage = { input: 900, cacheRead: 4096, output: 37 };

  it('not streamed, with tool use: the SDK parses a tool_use Message; the ledger has the upstream’s usage', async () => {
    h.fake.script({ match: '/v1/chat/completions', usage, model: 'qwen3-coder-30b', toolCalls: [{ name: 'Read', arguments: { file_path: 'a.txt' } }] });
    const { data, response } = await anthropic().messages.create(claudeCodeRequest(), { headers: CLAUDE_CODE_HEADERS, query: { beta: 'true' } }).withResponse();
    expect(data.stop_reason).toBe('tool_use');
    expect(data.content).toEqual([{ type: 'tool_use', id: 'call_fakeUpstream000000', name: 'Read', input: { file_path: 'a.txt' } }]);
    expect(data.model).toBe('qwen3-coder-30b');
    expect(data.usage).toMatchObject({ input_tokens: 900, cache_read_input_tokens: 4096, cache_creation_input_tokens: 0, output_tokens: 37 });
    expect(response.headers.get('x-tollgate-translated')).toBe('openai');

    const up = h.fake.requests[0]!;
    expect(up.path).toBe('/v1/chat/completions');
    expect(up.headers.authorization).toBe('Bearer sk-local');
    expect(up.headers['x-api-key']).toBeUndefined();
    expect(up.headers['anthropic-beta']).toBeUndefined();
    const body = up.json as { messages: { role: string; content: unknown }[]; tools: unknown[]; max_tokens: number; user: string; stream?: boolean };
    // The billing line is Anthropic's attribution data; cache_control has no chat equivalent.
    expect(body.messages[0]).toEqual({
      role: 'system',
      content: "You are Claude Code, Anthropic's official CLI for Claude.\n\nYou are an interactive agent that helps users with software engineering tasks.",
    });
    expect(body.messages[1]).toEqual({ role: 'user', content: '<system-reminder>Today is 2026-12-02.</system-reminder>\n\nread a.txt' });
    expect(body.messages[2]).toEqual({ role: 'system', content: 'Available agent types: general-purpose.' });
    expect(body.tools[0]).toEqual({ type: 'function', function: { name: 'Read', description: 'Reads a file.', parameters: TOOLS[0]!.input_schema } });
    expect(body.max_tokens).toBe(8000);
    expect(body.user).toContain('sess-translate-1');
    expect(body.stream).toBeUndefined();

    const row = await h.row(response.headers.get('x-tollgate-request-id')!);
    expect(row).toMatchObject({
      api: 'anthropic.messages', provider: 'local-qwen', model: 'qwen3-coder-30b', modelRequested: 'qwen3-coder', sessionId: 'sess-translate-1',
      inputTokens: 4996, cacheReadTokens: 4096, outputTokens: 37, toolCalls: 1, usageSource: 'final', outcome: 'ok', status: 200, stream: false,
    });
    // The SDK's own version, read by the gateway from its user agent.
    expect(row.tags).toEqual({ translated: 'openai', client_version: ANTHROPIC_SDK });
  });

  it('streamed, with tool use: events rebuilt as they arrive; the SDK’s final message has the tool input, stop reason and usage', async () => {
    h.fake.script({ match: '/v1/chat/completions', usage, thinking: 'The user wants a.txt.', text: 'Let me read it.', toolCalls: [{ name: 'Read', arguments: { file_path: 'a.txt' } }, { name: 'Bash', arguments: { command: 'ls' } }] });
    const stream = anthropic().messages.stream(claudeCodeRequest(), { headers: CLAUDE_CODE_HEADERS });
    const seen: string[] = [];
    stream.on('streamEvent', (e) => seen.push(e.type));
    const final = await stream.finalMessage();
    expect(final.content).toEqual([
      // A local reasoning model's reasoning_content, as a thinking block with no signature.
      { type: 'thinking', thinking: 'The user wants a.txt.', signature: '' },
      { type: 'text', text: 'Let me read it.' },
      { type: 'tool_use', id: 'call_fakeUpstream000000', name: 'Read', input: { file_path: 'a.txt' } },
      { type: 'tool_use', id: 'call_fakeUpstream000001', name: 'Bash', input: { command: 'ls' } },
    ]);
    expect(final.stop_reason).toBe('tool_use');
    expect(final.usage).toMatchObject({ input_tokens: 900, cache_read_input_tokens: 4096, output_tokens: 37 });
    expect(seen[0]).toBe('message_start');
    expect(seen.at(-1)).toBe('message_stop');
    expect(seen.filter((t) => t === 'content_block_start')).toHaveLength(4);

    const body = h.fake.requests[0]!.json as { stream: boolean; stream_options: unknown };
    expect(body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    const [row] = await h.rows();
    expect(row).toMatchObject({ api: 'anthropic.messages', provider: 'local-qwen', stream: true, inputTokens: 4996, cacheReadTokens: 4096, outputTokens: 37, toolCalls: 2, usageSource: 'final', outcome: 'ok' });
    expect(row!.ttftMs).not.toBeNull();
    expect(row!.lastTurnHash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('streamed by a server that labels its stream text/plain: translated as the events it is, under an event-stream head', async () => {
    h.fake.script({ match: '/v1/chat/completions', usage, text: 'Let me read it.', headers: { 'content-type': 'text/plain; charset=utf-8' } });
    const { data, response } = await anthropic().messages.stream(claudeCodeRequest(), { headers: CLAUDE_CODE_HEADERS }).withResponse();
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const final = await data.finalMessage();
    expect(final.content).toEqual([{ type: 'text', text: 'Let me read it.' }]);
    expect(final.usage).toMatchObject({ input_tokens: 900, cache_read_input_tokens: 4096, output_tokens: 37 });
    const [row] = await h.rows();
    expect(row).toMatchObject({ api: 'anthropic.messages', provider: 'local-qwen', status: 200, outputTokens: 37, usageSource: 'final', outcome: 'ok' });
  });

  it('the next turn: tool results (is_error, content arrays, an image) become tool messages, then a user message', async () => {
    h.fake.script({ match: '/v1/chat/completions', text: 'Done.' });
    const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } };
    const request = claudeCodeRequest();
    const messages = [
      ...request.messages,
      { role: 'assistant', content: [{ type: 'thinking', thinking: 'hm', signature: '' }, { type: 'text', text: 'Reading.' }, { type: 'tool_use', id: 'call_1', name: 'Read', input: { file_path: 'a.txt' } }, { type: 'tool_use', id: 'call_2', name: 'Bash', input: { command: 'ls' } }] },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: 'permission denied', is_error: true },
          { type: 'tool_result', tool_use_id: 'call_2', content: [{ type: 'text', text: 'a.txt' }, image], cache_control: { type: 'ephemeral' } },
        ],
      },
    ];
    const msg = await anthropic().messages.create({ ...request, messages } as Anthropic.MessageCreateParamsNonStreaming);
    expect(msg.content).toEqual([{ type: 'text', text: 'Done.' }]);
    expect(msg.stop_reason).toBe('end_turn');
    const sent = (h.fake.requests[0]!.json as { messages: unknown[] }).messages.slice(3);
    expect(sent).toEqual([
      {
        role: 'assistant',
        content: 'Reading.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'Read', arguments: '{"file_path":"a.txt"}' } },
          { id: 'call_2', type: 'function', function: { name: 'Bash', arguments: '{"command":"ls"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'Error: permission denied' },
      { role: 'tool', tool_call_id: 'call_2', content: 'a.txt' },
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
    ]);
  });

  it('a feature with no chat equivalent is refused with a 400 naming it, before anything is sent', async () => {
    const doc = { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } };
    const err = await anthropic()
      .messages.create(claudeCodeRequest({ messages: [{ role: 'user', content: [doc, { type: 'text', text: 'summarise' }] }] }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    const e = err as InstanceType<typeof Anthropic.BadRequestError>;
    expect(e.status).toBe(400);
    expect((e.error as { error: { type: string } }).error.type).toBe('invalid_request_error');
    expect(e.message).toContain('`document` block');
    expect(e.message).toContain('local-qwen');
    expect(h.fake.requests).toHaveLength(0);
    const [row] = await h.rows();
    expect(row).toMatchObject({ outcome: 'rejected', errorType: 'not_translatable', status: 400, provider: 'local-qwen' });

    const web = (await anthropic()
      .messages.create(claudeCodeRequest({ tools: [{ type: 'web_search_20250305', name: 'web_search' }] }))
      .catch((x: unknown) => x)) as Error;
    expect(web.message).toContain('web_search_20250305');
  });

  it('a request nested deeper than the stack is refused with a 400, not an internal error, before anything is sent', async () => {
    // Written as text: JSON.stringify itself cannot go this deep.
    let schema = '{"type":"string"}';
    for (let i = 0; i < 20_000; i++) schema = `{"type":"object","properties":{"a":${schema}}}`;
    const body = JSON.stringify(claudeCodeRequest({ tools: [{ name: 'deep', input_schema: { $placeholder: true } }] })).replace('{"$placeholder":true}', schema);
    const res = await fetch(`${h.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': h.key.key, 'anthropic-version': '2023-06-01' }, body });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('nested too deeply to be translated');
    expect(h.fake.requests).toHaveLength(0);
    const [row] = await h.rows();
    expect(row).toMatchObject({ outcome: 'rejected', errorType: 'not_translatable', status: 400 });
  });

  it('an upstream error comes back in Anthropic’s shape with its status', async () => {
    h.fake.script({ match: '/v1/chat/completions', status: 429, error: { message: 'Rate limit reached for qwen3-coder.' } });
    const err = (await anthropic().messages.create(claudeCodeRequest()).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect((err.error as { error: { type: string; message: string } }).error).toMatchObject({ type: 'rate_limit_error', message: 'Rate limit reached for qwen3-coder.' });
    expect(err.headers?.get('retry-after')).toBe('1');
    const [row] = await h.rows();
    expect(row).toMatchObject({ outcome: 'upstream_error', status: 429, provider: 'local-qwen' });
  });

  it('an error inside the upstream stream becomes an Anthropic error event', async () => {
    h.fake.script({ match: '/v1/chat/completions', errorEventAfter: 3 });
    const stream = anthropic().messages.stream(claudeCodeRequest());
    const err = (await stream.finalMessage().catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Anthropic.APIError);
    const [row] = await h.rows();
    expect(row).toMatchObject({ outcome: 'upstream_error', stream: true, provider: 'local-qwen' });
  });

  it('an upstream stream reset midway ends with an Anthropic error event, not a broken connection', async () => {
    h.fake.script({ match: '/v1/chat/completions', chunks: 6, chunkDelayMs: 5, cutAfterEvents: 3 });
    const res = await fetch(`${h.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': h.key.key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }, body: JSON.stringify({ ...claudeCodeRequest(), stream: true }) });
    expect(res.status).toBe(200);
    const text = await res.text(); // throws "terminated" when the connection is destroyed
    expect(text).toContain('content_block_delta');
    expect(text.trimEnd()).toMatch(/event: error\ndata: \{"type":"error","error":\{"type":"api_error",[^\n]*\}$/);
    const [row] = await h.rows();
    expect(row).toMatchObject({ outcome: 'truncated', errorType: 'upstream_disconnected', provider: 'local-qwen' });
  });

  it('count_tokens is answered with an estimate, without calling the upstream', async () => {
    const small = await anthropic().messages.countTokens({ model: 'qwen3-coder', messages: [{ role: 'user', content: 'hi' }] });
    const big = await anthropic().messages.countTokens({ model: 'qwen3-coder', system: 'x'.repeat(4000), messages: [{ role: 'user', content: 'hi' }] });
    expect(small.input_tokens).toBeGreaterThan(0);
    expect(big.input_tokens - small.input_tokens).toBe(1000);
    expect(h.fake.requests).toHaveLength(0);
    const rows = await h.rows();
    expect(rows[0]).toMatchObject({ api: 'anthropic.count_tokens', provider: 'local-qwen', status: 200, outcome: 'ok', costPicos: 0n });
  });
});

describe('an OpenAI client served by an Anthropic upstream', () => {
  const usage = { input: 50, cacheRead: 2000, cacheWrite5m: 300, output: 80, reasoning: 20 };
  const tools: OpenAI.ChatCompletionFunctionTool[] = [{ type: 'function', function: { name: 'get_weather', description: 'Weather for a city.', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];

  it('not streamed, with tool calls', async () => {
    h.fake.script({ match: '/v1/messages', usage, thinking: 'Two cities.', toolCalls: 2, model: 'claude-sonnet-4-5-20250929' });
    const { data, response } = await openai()
      .chat.completions.create({ model: 'claude-sonnet-4-5', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Weather in Paris and Lyon?' }], tools, temperature: 0.2, stop: ['END'] })
      .withResponse();
    const choice = data.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.tool_calls).toEqual([
      { id: 'toolu_01FakeUpstream000000', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { id: 'toolu_01FakeUpstream000001', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lyon"}' } },
    ]);
    expect(data.usage).toMatchObject({ prompt_tokens: 2350, completion_tokens: 80, total_tokens: 2430, prompt_tokens_details: { cached_tokens: 2000, cache_write_tokens: 300 }, completion_tokens_details: { reasoning_tokens: 20 } });
    expect(data.model).toBe('claude-sonnet-4-5-20250929');

    const up = h.fake.requests[0]!;
    expect(up.path).toBe('/v1/messages');
    expect(up.headers['x-api-key']).toBe('sk-ant-translated');
    expect(up.headers['anthropic-version']).toBe('2023-06-01');
    expect(up.headers.authorization).toBeUndefined();
    expect(up.json).toMatchObject({
      model: 'claude-sonnet-4-5',
      max_tokens: 8192,
      system: [{ type: 'text', text: 'Be brief.' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Lyon?' }] }],
      tools: [{ name: 'get_weather', description: 'Weather for a city.', input_schema: tools[0]!.function.parameters }],
      temperature: 0.2,
      stop_sequences: ['END'],
    });
    const row = await h.row(response.headers.get('x-request-id') ?? response.headers.get('x-tollgate-request-id')!);
    expect(row).toMatchObject({
      api: 'openai.chat', provider: 'claude-for-openai', model: 'claude-sonnet-4-5-20250929', inputTokens: 2350, cacheReadTokens: 2000, cacheWriteTokens: 300, outputTokens: 80, reasoningTokens: 20, toolCalls: 2, outcome: 'ok', usageSource: 'final',
    });
    expect(row.tags).toEqual({ translated: 'anthropic', client_version: OPENAI_SDK });
  });

  it('streamed, with tool calls and usage: chunks, tool_calls deltas, finish reason, usage chunk, [DONE]', async () => {
    h.fake.script({ match: '/v1/messages', usage, text: 'Checking.', toolCalls: 2 });
    const stream = await openai().chat.completions.create({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Weather?' }], tools, stream: true, stream_options: { include_usage: true } });
    let text = '';
    const args: string[] = [];
    let finish: string | null = null;
    let usageSeen: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      const c = chunk.choices[0];
      text += c?.delta.content ?? '';
      for (const t of c?.delta.tool_calls ?? []) args[t.index] = (args[t.index] ?? '') + (t.function?.arguments ?? '');
      finish = c?.finish_reason ?? finish;
      if (chunk.usage) usageSeen = chunk.usage;
    }
    expect(text).toBe('Checking.');
    expect(args.map((a) => JSON.parse(a) as unknown)).toEqual([{ city: 'Paris' }, { city: 'Lyon' }]);
    expect(finish).toBe('tool_calls');
    expect(usageSeen).toMatchObject({ prompt_tokens: 2350, completion_tokens: 80, prompt_tokens_details: { cached_tokens: 2000 } });
    expect(h.fake.requests[0]!.json).toMatchObject({ stream: true });
    const [row] = await h.rows();
    expect(row).toMatchObject({ api: 'openai.chat', provider: 'claude-for-openai', stream: true, inputTokens: 2350, outputTokens: 80, toolCalls: 2, outcome: 'ok', usageSource: 'final' });
  });

  it('the SDK’s stream helper rebuilds the tool calls; tool results go back as tool_result blocks', async () => {
    h.fake.script({ match: '/v1/messages', toolCalls: 1 });
    const runner = openai().chat.completions.stream({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Weather?' }], tools });
    const done = await runner.finalChatCompletion();
    const call = done.choices[0]!.message.tool_calls![0]!;
    expect(call).toMatchObject({ id: 'toolu_01FakeUpstream000000', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });

    h.fake.script({ match: '/v1/messages', text: 'Sunny.' });
    const next = await openai().chat.completions.create({
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'Weather?' }, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: call.id, content: '4°C' }],
      tools,
    });
    expect(next.choices[0]!.message.content).toBe('Sunny.');
    expect((h.fake.requests[1]!.json as { messages: unknown[] }).messages.slice(1)).toEqual([
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01FakeUpstream000000', name: 'get_weather', input: { city: 'Paris' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01FakeUpstream000000', content: '4°C' }] },
    ]);
  });

  it('n > 1 is refused with a 400 naming it; 529 from Anthropic reaches the client as 503', async () => {
    const err = (await openai().chat.completions.create({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }], n: 2 }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.code).toBe('not_translatable');
    expect(err.message).toContain('`n` above 1');
    expect(h.fake.requests).toHaveLength(0);

    h.fake.script({ match: '/v1/messages', status: 529, error: { message: 'Overloaded' } });
    const over = (await openai().chat.completions.create({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(over.status).toBe(503);
    expect(over.code).toBe('overloaded_error');
    expect(over.message).toContain('Overloaded');
  });

  it('an answer the provider breaks off before it is whole: the client gets a 502 in its own dialect, and the row says so', async () => {
    for (const cutAfterEvents of [0, 1]) {
      h.fake.script({ match: '/v1/messages', cutAfterEvents, headers: cutAfterEvents === 1 ? { 'content-length': '5000' } : {} });
      const r = await fetch(`${h.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.key.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(r.status).toBe(502);
      expect(await r.json()).toMatchObject({ error: { code: 'upstream_disconnected', message: 'The anthropic provider "claude-for-openai" broke off its answer before it was complete.' } });
      expect(await h.row(r.headers.get('x-tollgate-request-id')!)).toMatchObject({ status: 502, outcome: 'truncated', errorType: 'upstream_disconnected' });
    }
  });

  it('a stream the provider resets midway ends with an error chunk the SDK throws, not a broken connection', async () => {
    h.fake.script({ match: '/v1/messages', chunks: 6, chunkDelayMs: 5, cutAfterEvents: 4 });
    const stream = await openai().chat.completions.create({ model: 'claude-sonnet-4-5', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    let deltas = 0;
    const err = await (async () => {
      for await (const c of stream) if (c.choices[0]?.delta.content) deltas++;
    })().catch((e: unknown) => e);
    expect(deltas).toBeGreaterThan(0);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).message).toContain('before it was complete');
  });

  it('the Responses API cannot be translated: a clear 400', async () => {
    const err = (await openai().responses.create({ model: 'claude-sonnet-4-5', input: 'hi' }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(400);
    expect(err.message).toContain('openai.responses');
  });
});
