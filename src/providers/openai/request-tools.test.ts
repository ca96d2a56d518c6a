import { describe, expect, it } from 'vitest';
import { responsesTools } from './request-tools.js';

describe('responsesTools', () => {
  it('gives the request tools, then those its input items add, and nothing odd', () => {
    const fs = { type: 'file_search', vector_store_ids: ['vs_1'] };
    const ci = { type: 'code_interpreter', container: 'cntr_1' };
    const shell = { type: 'shell', environment: { type: 'container_reference', container_id: 'cntr_2' } };
    const body = {
      tools: [fs, null, 'x'],
      input: [{ role: 'user', content: 'hi' }, { type: 'additional_tools', tools: [ci] }, { type: 'tool_search_output', tools: [shell, 3] }, { type: 'message', tools: [fs] }],
    };
    expect(responsesTools(body)).toEqual([fs, ci, shell]);
    expect(responsesTools({ input: 'text' })).toEqual([]);
    expect(responsesTools(undefined)).toEqual([]);
  });
});
