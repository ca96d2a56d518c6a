import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import { TO_ANTHROPIC } from '../testing.js';
import { DEFAULT_MAX_TOKENS, toMessagesRequest } from './request.js';

const messages = (body: Record<string, unknown>) => toMessagesRequest({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], ...body }, TO_ANTHROPIC);

function refusal(body: Record<string, unknown>): string {
  try {
    messages(body);
  } catch (err) {
    expect((err as GatewayError).code).toBe('not_translatable');
    return (err as GatewayError).message;
  }
  throw new Error('expected a refusal');
}

describe('OpenAI chat request → Anthropic Messages request', () => {
  it('a default max_tokens when the client sets none; max_completion_tokens wins over max_tokens', () => {
    expect(messages({}).max_tokens).toBe(DEFAULT_MAX_TOKENS);
    expect(messages({ max_tokens: 50 }).max_tokens).toBe(50);
    expect(messages({ max_tokens: 50, max_completion_tokens: 70 }).max_tokens).toBe(70);
  });

  it('system and developer messages up front become `system`; a later one stays a system turn', () => {
    const out = messages({
      messages: [
        { role: 'system', content: 'S1' },
        { role: 'developer', content: [{ type: 'text', text: 'S2' }] },
        { role: 'user', content: 'hi' },
        { role: 'system', content: 'later' },
      ],
    });
    expect(out.system).toEqual([{ type: 'text', text: 'S1' }, { type: 'text', text: 'S2' }]);
    expect(out.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'hi' }] }, { role: 'system', content: 'later' }]);
  });

  it('an empty assistant turn is left out (Anthropic refuses empty content), and the user turns around it join', () => {
    const out = messages({
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: '' },
        { role: 'user', content: 'again' },
        { role: 'assistant', content: [{ type: 'text', text: '' }, { type: 'text', text: 'ok' }] },
      ],
    });
    expect(out.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'text', text: 'again' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'ok' }] },
    ]);
  });

  it('images: data URLs to base64 sources, http URLs to url sources', () => {
    const out = messages({
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,QUJD', detail: 'high' } }, { type: 'image_url', image_url: { url: 'https://x.test/a.png' } }] }],
    });
    expect(out.messages).toEqual([{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'QUJD' } }, { type: 'image', source: { type: 'url', url: 'https://x.test/a.png' } }] }]);
  });

  it('tool calls and results: consecutive tool messages and the next user text share one user turn', () => {
    const out = messages({
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: 'Checking.', tool_calls: [{ id: 'a', type: 'function', function: { name: 'w', arguments: '{"city":"Paris"}' } }, { id: 'b', type: 'function', function: { name: 'w', arguments: '' } }] },
        { role: 'tool', tool_call_id: 'a', content: '4°C' },
        { role: 'tool', tool_call_id: 'b', content: [{ type: 'text', text: '6°C' }] },
        { role: 'user', content: 'thanks' },
      ],
    });
    expect(out.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'weather?' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'a', name: 'w', input: { city: 'Paris' } }, { type: 'tool_use', id: 'b', name: 'w', input: {} }] },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'a', content: '4°C' },
          { type: 'tool_result', tool_use_id: 'b', content: [{ type: 'text', text: '6°C' }] },
          { type: 'text', text: 'thanks' },
        ],
      },
    ]);
  });

  it('tools, tool_choice, parallel_tool_calls, sampling, stop, user, structured output', () => {
    const schema = { type: 'object', properties: {} };
    const out = messages({
      tools: [{ type: 'function', function: { name: 'w', description: 'd', parameters: schema, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'w' } },
      parallel_tool_calls: false,
      temperature: 0.5,
      top_p: 0.8,
      stop: 'END',
      user: 'alice',
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema } },
      seed: 7,
      store: false,
    });
    expect(out).toMatchObject({
      tools: [{ name: 'w', description: 'd', input_schema: schema, strict: true }],
      tool_choice: { type: 'tool', name: 'w', disable_parallel_tool_use: true },
      temperature: 0.5,
      top_p: 0.8,
      stop_sequences: ['END'],
      metadata: { user_id: 'alice' },
      output_config: { format: { type: 'json_schema', schema } },
    });
    expect(messages({ tool_choice: 'required' }).tool_choice).toEqual({ type: 'any' });
    expect(messages({ tool_choice: 'none' }).tool_choice).toEqual({ type: 'none' });
    expect(messages({ parallel_tool_calls: false }).tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true });
  });

  it('refuses, naming the feature', () => {
    expect(refusal({ n: 3 })).toContain('`n` above 1');
    expect(refusal({ logprobs: true })).toContain('`logprobs`');
    expect(refusal({ presence_penalty: 0.5 })).toContain('presence_penalty');
    expect(refusal({ logit_bias: { '50256': -100 } })).toContain('logit_bias');
    expect(refusal({ modalities: ['text', 'audio'] })).toContain('Audio');
    expect(refusal({ audio: { voice: 'alloy' } })).toContain('`audio`');
    expect(refusal({ reasoning_effort: 'high' })).toContain('reasoning_effort');
    expect(refusal({ temperature: 1.5 })).toContain('temperature: 1.5');
    expect(refusal({ response_format: { type: 'json_object' } })).toContain('json_object');
    expect(refusal({ tools: [{ type: 'custom', custom: { name: 'x' } }] })).toContain('`custom` tool');
    expect(refusal({ functions: [{ name: 'f' }] })).toContain('`functions`');
    expect(refusal({ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] })).toContain('input_audio');
    expect(refusal({ messages: [{ role: 'user', content: [{ type: 'file', file: {} }] }] })).toContain('`file` part');
    expect(refusal({ messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: 'nope' } }] }] })).toContain('arguments');
    expect(refusal({ web_search_options: {} })).toContain('web_search_options');
    expect(refusal({ prediction: { type: 'content', content: 'x' } })).toContain('prediction');
    expect(refusal({ service_tier: 'flex' })).toContain('service_tier: flex');
  });
});
