import { describe, expect, it } from 'vitest';
import { dropReasoning, reasonsNot } from './reasoning-params.js';

describe('reasoning settings on a request moved to a model that does not reason', () => {
  it('knows OpenAI’s models that do not reason', () => {
    expect(['gpt-4.1-nano', 'gpt-4o-mini', 'gpt-4-turbo', 'gpt-3.5-turbo', 'chatgpt-4o-latest', 'gpt-5-chat-latest'].every(reasonsNot)).toBe(true);
    expect(['gpt-5-mini', 'gpt-5.1-codex-max', 'gpt-5.1-chat-latest', 'o4-mini', 'gpt-6-sol', 'qwen3-coder'].some(reasonsNot)).toBe(false);
  });

  it('drops Chat’s reasoning_effort and the Responses API’s reasoning for such a model only', () => {
    const moved = (api: 'openai.chat' | 'openai.responses', body: Record<string, unknown>, model: string) => {
      const b = { ...body };
      dropReasoning(api, b, model);
      return b;
    };
    expect(moved('openai.chat', { messages: [], reasoning_effort: 'low' }, 'gpt-4.1-nano')).toEqual({ messages: [] });
    expect(moved('openai.chat', { messages: [], reasoning_effort: 'low' }, 'gpt-5-nano')).toEqual({ messages: [], reasoning_effort: 'low' });
    expect(moved('openai.chat', { input: 'hi', reasoning: { effort: 'low' } }, 'gpt-4o-mini')).toEqual({ input: 'hi' });
    expect(moved('openai.responses', { input: 'hi', reasoning: { effort: 'high', summary: 'auto' } }, 'gpt-4.1-nano')).toEqual({ input: 'hi' });
  });

  it('drops a verbosity such a model does not take: any but medium', () => {
    const moved = (api: 'openai.chat' | 'openai.responses', body: Record<string, unknown>) => {
      const b = { ...body };
      dropReasoning(api, b, 'gpt-4o-mini');
      return b;
    };
    expect(moved('openai.chat', { messages: [], verbosity: 'low' })).toEqual({ messages: [] });
    expect(moved('openai.chat', { messages: [], verbosity: 'medium' })).toEqual({ messages: [], verbosity: 'medium' });
    expect(moved('openai.responses', { input: 'hi', text: { verbosity: 'low' } })).toEqual({ input: 'hi' });
    expect(moved('openai.responses', { input: 'hi', text: { verbosity: 'high', format: { type: 'text' } } })).toEqual({ input: 'hi', text: { format: { type: 'text' } } });
    expect(moved('openai.responses', { input: 'hi', text: { verbosity: 'medium' } })).toEqual({ input: 'hi', text: { verbosity: 'medium' } });
  });
});
