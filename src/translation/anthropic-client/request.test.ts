import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import { TO_OPENAI } from '../testing.js';
import { toChatRequest } from './request.js';

const chat = (body: Record<string, unknown>, maxTokensField: 'max_tokens' | 'max_completion_tokens' = 'max_tokens') =>
  toChatRequest({ model: 'qwen3', max_tokens: 100, messages: [], ...body }, TO_OPENAI, { maxTokensField });

function refusal(body: Record<string, unknown>): string {
  try {
    chat(body);
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('not_translatable');
    expect((err as GatewayError).status).toBe(400);
    return (err as GatewayError).message;
  }
  throw new Error('expected a refusal');
}

describe('Anthropic Messages request → OpenAI chat request', () => {
  it('system as a string or blocks (billing line and cache_control dropped), sampling, stops, user, streaming usage', () => {
    expect(chat({ system: 'Be brief.', temperature: 0.3, top_p: 0.9, top_k: 40, stop_sequences: ['END'], metadata: { user_id: 'u1' }, stream: true })).toEqual({
      model: 'qwen3',
      messages: [{ role: 'system', content: 'Be brief.' }],
      max_tokens: 100,
      temperature: 0.3,
      top_p: 0.9,
      top_k: 40,
      stop: ['END'],
      user: 'u1',
      stream: true,
      stream_options: { include_usage: true },
    });
    const blocks = chat({ system: [{ type: 'text', text: 'x-anthropic-billing-header: cc_version=1; cch=2;' }, { type: 'text', text: 'A', cache_control: { type: 'ephemeral', ttl: '1h' } }, { type: 'text', text: 'B' }] });
    expect(blocks.messages).toEqual([{ role: 'system', content: 'A\n\nB' }]);
    expect(chat({ system: 'x-anthropic-billing-header: cc_version=1;\nReal prompt.' }).messages).toEqual([{ role: 'system', content: 'Real prompt.' }]);
  });

  it('OpenAI itself gets max_completion_tokens', () => {
    expect(chat({}, 'max_completion_tokens')).toMatchObject({ max_completion_tokens: 100 });
  });

  it('images by base64 and URL', () => {
    const out = chat({
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: 'AAAA' } }, { type: 'image', source: { type: 'url', url: 'https://x.test/a.png' } }] }],
    });
    expect(out.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,AAAA' } },
          { type: 'image_url', image_url: { url: 'https://x.test/a.png' } },
        ],
      },
    ]);
  });

  it('tools, tool_choice and parallel calls', () => {
    const tool = { name: 'f', description: 'd', input_schema: { type: 'object', properties: { a: { type: 'string' } } }, cache_control: { type: 'ephemeral' } };
    expect(chat({ tools: [tool], tool_choice: { type: 'any', disable_parallel_tool_use: true } })).toMatchObject({
      tools: [{ type: 'function', function: { name: 'f', description: 'd', parameters: tool.input_schema } }],
      tool_choice: 'required',
      parallel_tool_calls: false,
    });
    expect(chat({ tool_choice: { type: 'tool', name: 'f' } }).tool_choice).toEqual({ type: 'function', function: { name: 'f' } });
    expect(chat({ tool_choice: { type: 'auto' } }).tool_choice).toBe('auto');
    expect(chat({ tool_choice: { type: 'none' } }).tool_choice).toBe('none');
  });

  it('structured output maps to response_format; effort, thinking and thinking-clearing are left to the upstream', () => {
    const schema = { type: 'object', properties: { n: { type: 'number' } } };
    const out = chat({ output_config: { effort: 'high', format: { type: 'json_schema', schema } }, thinking: { type: 'adaptive' }, context_management: { edits: [{ type: 'clear_thinking_20251015' }] } });
    expect(out.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'output', schema, strict: true } });
    expect(out).not.toHaveProperty('thinking');
  });

  it('refuses, naming the feature', () => {
    expect(refusal({ messages: [{ role: 'user', content: [{ type: 'document', source: {} }] }] })).toContain('`document` block');
    expect(refusal({ tools: [{ type: 'web_search_20250305', name: 'web_search' }] })).toContain('web_search_20250305');
    expect(refusal({ tools: [{ type: 'bash_20250124', name: 'bash' }] })).toContain('bash_20250124');
    expect(refusal({ mcp_servers: [{ url: 'https://x' }] })).toContain('`mcp_servers`');
    expect(refusal({ container: 'c1' })).toContain('`container`');
    expect(refusal({ max_tokens: 0 })).toContain('max_tokens: 0');
    expect(refusal({ messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'f' } }] }] })).toContain('Files API');
    expect(refusal({ messages: [{ role: 'assistant', content: [{ type: 'server_tool_use', id: 's', name: 'web_search', input: {} }] }] })).toContain('server_tool_use');
    expect(refusal({ context_management: { edits: [{ type: 'clear_tool_uses_20250919' }] } })).toContain('clear_tool_uses_20250919');
    expect(refusal({ speed: 'fast' })).toContain('speed: fast');
    expect(refusal({ output_config: { format: { type: 'regex' } } })).toContain('output_config.format');
    expect(refusal({ messages: [{ role: 'user', content: [{ type: 'text', text: 'x', citations: [{ type: 'char_location' }] }] }] })).toContain('citations');
    expect(refusal({ messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'document' }] }] }] })).toContain('inside a tool result');
    // A block without a type says so, rather than naming an empty one.
    expect(refusal({ messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [['x']] }] }] })).toContain('A (untyped) block inside a tool result');
  });
});
