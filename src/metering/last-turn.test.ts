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
