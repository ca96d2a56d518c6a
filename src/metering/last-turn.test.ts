import { describe, expect, it } from 'vitest';
import { lastTurnHash } from './last-turn.js';

describe('last turn hash', () => {
  const toolUse = { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'read_file', input: { path: 'a.ts' } }] };
  const toolResult = (text: string) => ({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: text }] });

  it('is the same for the same last turn whatever came before, and differs when the last turn does', () => {
    const a = lastTurnHash({ model: 'm', messages: [{ role: 'user', content: 'go' }, toolUse, toolResult('same')] });
    const b = lastTurnHash({ model: 'm', messages: [{ role: 'user', content: 'go' }, toolUse, toolResult('same'), toolUse, toolResult('same')] });
    const c = lastTurnHash({ model: 'm', messages: [{ role: 'user', content: 'go' }, toolUse, toolResult('other')] });
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it('is the same for a tool result repeated under the fresh call id each turn gets, in every dialect', () => {
    const chat = (id: string, out: string) => lastTurnHash({ messages: [{ role: 'user', content: 'go' }, { role: 'tool', tool_call_id: id, content: out }] });
    expect(chat('call_a1', 'FAILED: 3 tests failed')).toBe(chat('call_b2', 'FAILED: 3 tests failed'));
    expect(chat('call_a1', 'FAILED: 3 tests failed')).not.toBe(chat('call_a1', 'FAILED: 2 tests failed'));
    const anthropic = (id: string) => lastTurnHash({ messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: 'FAILED' }] }] });
    expect(anthropic('toolu_01')).toBe(anthropic('toolu_02'));
    const responses = (id: string) => lastTurnHash({ input: [{ type: 'function_call_output', call_id: id, output: 'x' }] });
    expect(responses('call_1')).toBe(responses('call_2'));
    const gemini = (id: string) => lastTurnHash({ contents: [{ role: 'user', parts: [{ functionResponse: { id, name: 'run_tests', response: { out: 'FAILED' } } }] }] });
    expect(gemini('g1')).toBe(gemini('g2'));
  });

  it('reads the Responses input (list or string) and Gemini contents', () => {
    expect(lastTurnHash({ input: [{ type: 'function_call_output', call_id: 'c', output: 'x' }] })).toMatch(/^[0-9a-f]{16}$/);
    expect(lastTurnHash({ input: 'hello' })).toMatch(/^[0-9a-f]{16}$/);
    expect(lastTurnHash({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] })).toMatch(/^[0-9a-f]{16}$/);
  });

  it('is null without a conversation', () => {
    expect(lastTurnHash(undefined)).toBeNull();
    expect(lastTurnHash({ model: 'm' })).toBeNull();
    expect(lastTurnHash({ messages: [] })).toBeNull();
    expect(lastTurnHash('text')).toBeNull();
  });
});
