import { describe, expect, it } from 'vitest';
import { namedContainers, referencedItems } from './reused.js';

describe('the containers a request runs code in again', () => {
  it('reads Anthropic container as an id or as parameters with one, also in a Message Batch', () => {
    const ask = { model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'run it' }] };
    expect(namedContainers('anthropic.messages', { ...ask, container: 'container_011' })).toEqual(['container_011']);
    expect(namedContainers('anthropic.messages', { ...ask, container: { id: 'container_012', skills: [{ type: 'anthropic', skill_id: 'pptx' }] } })).toEqual(['container_012']);
    // Parameters without an id ask for a new container, as does no container at all.
    expect(namedContainers('anthropic.messages', { ...ask, container: { skills: [] } })).toEqual([]);
    expect(namedContainers('anthropic.messages', { ...ask, container: null })).toEqual([]);
    expect(namedContainers('anthropic.count_tokens', { ...ask, container: 'container_013' })).toEqual(['container_013']);
    expect(namedContainers('anthropic.batches', { requests: [{ custom_id: 'a', params: { ...ask, container: 'container_014' } }, { custom_id: 'b', params: ask }] })).toEqual(['container_014']);
  });

  it('reads a Responses code interpreter container given as an id and a shell container reference, not a new container or one an item passed back names', () => {
    const body = {
      model: 'gpt-5',
      input: [{ type: 'code_interpreter_call', id: 'ci_1', container_id: 'cntr_ran', code: 'print(1)', outputs: null, status: 'completed' }],
      tools: [
        { type: 'code_interpreter', container: 'cntr_a' },
        { type: 'code_interpreter', container: { type: 'auto', file_ids: ['file-1'] } },
        { type: 'shell', environment: { type: 'container_reference', container_id: 'cntr_b' } },
        { type: 'shell', environment: { type: 'container_auto' } },
        { type: 'function', name: 'container', parameters: {} },
      ],
    };
    expect(namedContainers('openai.responses', body)).toEqual(['cntr_a', 'cntr_b']);
    expect(namedContainers('openai.input_tokens', body)).toEqual(['cntr_a', 'cntr_b']);
    expect(namedContainers('openai.chat', body)).toEqual([]);
    expect(namedContainers('openai.responses', undefined)).toEqual([]);
  });
});

describe('the stored items a Responses request references', () => {
  it('reads item references, typed or not, and leaves items given whole alone', () => {
    const input = [
      { type: 'item_reference', id: 'rs_1' },
      { id: 'msg_2' },
      { id: 'msg_3', type: null },
      // Whole items passed back carry their ids too, but are not references to stored ones.
      { type: 'message', id: 'msg_4', role: 'assistant', content: [{ type: 'output_text', text: 'hi' }] },
      { role: 'user', content: 'next', id: 'msg_5' },
      { type: 'function_call_output', call_id: 'call_1', output: 'ok', id: 'fco_6' },
      { type: 'item_reference' },
    ];
    expect(referencedItems('openai.responses', { model: 'gpt-5', input })).toEqual(['rs_1', 'msg_2', 'msg_3']);
    expect(referencedItems('openai.compact', { model: 'gpt-5', input })).toEqual(['rs_1', 'msg_2', 'msg_3']);
    expect(referencedItems('openai.responses', { model: 'gpt-5', input: 'hello' })).toEqual([]);
    expect(referencedItems('anthropic.messages', { input })).toEqual([]);
  });
});
