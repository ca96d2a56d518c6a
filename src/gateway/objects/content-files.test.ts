import { describe, expect, it } from 'vitest';
import { contentFiles, mayNameFiles } from './content-files.js';

describe('the uploaded files a request names inside its messages', () => {
  it('reads OpenAI Chat file parts', () => {
    const body = {
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: [{ type: 'text', text: 'summarise' }, { type: 'file', file: { file_id: 'file-a' } }, { type: 'file', file: { file_data: 'data:...', filename: 'x.pdf' } }] },
        { role: 'user', content: [{ type: 'file', file: { file_id: 'file-b' } }, { type: 'file', file: { file_id: 'file-a' } }] },
      ],
    };
    expect(contentFiles('openai.chat', body)).toEqual(['file-a', 'file-b']);
  });

  it('reads Responses input files and images wherever the input holds them, a prompt variable and the tools', () => {
    const body = {
      model: 'gpt-5',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'look' }, { type: 'input_file', file_id: 'file-1' }, { type: 'input_image', file_id: 'file-2', detail: 'auto' }, { type: 'input_image', image_url: 'https://x/y.png' }] },
        { type: 'message', role: 'user', content: [{ type: 'input_file', file_id: 'file-3' }] },
        { type: 'function_call_output', call_id: 'c1', output: [{ type: 'input_image', file_id: 'file-4' }] },
        { type: 'function_call_output', call_id: 'c2', output: 'plain text' },
        { type: 'computer_call_output', call_id: 'c3', output: { type: 'computer_screenshot', file_id: 'file-5' } },
        // An answer passed back: its citations name files the provider searched, not uses of them.
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'x', annotations: [{ type: 'file_citation', file_id: 'file-cited', index: 0 }] }] },
      ],
      prompt: { id: 'pmpt_1', variables: { doc: { type: 'input_file', file_id: 'file-6' }, who: 'alice' } },
      tools: [
        { type: 'code_interpreter', container: { type: 'auto', file_ids: ['file-7'] } },
        { type: 'image_generation', input_image_mask: { file_id: 'file-8' } },
        { type: 'code_interpreter', container: 'cntr_1' },
        { type: 'shell', environment: { type: 'container_auto', file_ids: ['file-9'] } },
      ],
    };
    expect(contentFiles('openai.responses', body).sort()).toEqual(['file-1', 'file-2', 'file-3', 'file-4', 'file-5', 'file-6', 'file-7', 'file-8', 'file-9']);
    expect(contentFiles('openai.compact', { model: 'gpt-5', input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-9' }] }] })).toEqual(['file-9']);
    expect(contentFiles('openai.input_tokens', { model: 'gpt-5', input: 'hello' })).toEqual([]);
  });

  it('reads Anthropic document, image and container_upload blocks, also in a tool result and a Message Batch', () => {
    const messages = [
      { role: 'user', content: 'hi' },
      {
        role: 'user',
        content: [
          { type: 'document', source: { type: 'file', file_id: 'file_011' } },
          { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBE' } },
          { type: 'image', source: { type: 'file', file_id: 'file_012' } },
          { type: 'container_upload', file_id: 'file_013' },
          { type: 'tool_result', tool_use_id: 't1', content: [{ type: 'image', source: { type: 'file', file_id: 'file_014' } }] },
        ],
      },
      // What code execution made, passed back: the provider's file, no upload of the caller.
      { role: 'assistant', content: [{ type: 'bash_code_execution_tool_result', tool_use_id: 't2', content: { type: 'bash_code_execution_result', content: [{ type: 'bash_code_execution_output', file_id: 'file_made' }] } }] },
    ];
    const ids = ['file_011', 'file_012', 'file_013', 'file_014'];
    expect(contentFiles('anthropic.messages', { model: 'claude-sonnet-4-5', max_tokens: 10, messages })).toEqual(ids);
    expect(contentFiles('anthropic.count_tokens', { model: 'claude-sonnet-4-5', messages })).toEqual(ids);
    expect(contentFiles('anthropic.batches', { requests: [{ custom_id: 'a', params: { model: 'claude-sonnet-4-5', max_tokens: 10, messages } }] })).toEqual(ids);
  });

  it('finds nothing in a body that is not an object or names no file', () => {
    expect(contentFiles('openai.chat', undefined)).toEqual([]);
    expect(contentFiles('openai.chat', { messages: 'nope' })).toEqual([]);
    expect(contentFiles('anthropic.messages', { messages: [{ role: 'user', content: [{ type: 'text', text: 'file_id' }] }] })).toEqual([]);
  });

  it('looks only where the bytes can spell file_id: as written, or with a \\u escape', () => {
    expect(mayNameFiles(Buffer.from('{"messages":[{"role":"user","content":"hi"}]}'))).toBe(false);
    expect(mayNameFiles(Buffer.from('{"type":"input_file","file_id":"file-1"}'))).toBe(true);
    expect(mayNameFiles(Buffer.from('{"type":"input_file","file\\u005fid":"file-1"}'))).toBe(true);
    expect(mayNameFiles(undefined)).toBe(true);
  });
});
