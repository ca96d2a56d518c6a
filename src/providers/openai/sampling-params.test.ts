import { describe, expect, it } from 'vitest';
import { dropFixedSampling, fixesSampling } from './sampling-params.js';

describe('temperature and top_p on a request moved to a reasoning model', () => {
  it('knows the models that take them only at their defaults: the o-series and GPT-5 always, later ones while they reason', () => {
    expect(['o3', 'o4-mini', 'gpt-5', 'gpt-5-mini', 'gpt-5-nano-2025-08-07', 'gpt-5-codex'].every((m) => fixesSampling(m, {}))).toBe(true);
    expect(['gpt-4.1', 'gpt-4o-mini', 'gpt-5.1', 'gpt-5.4-mini', 'gpt-6-sol'].some((m) => fixesSampling(m, {}))).toBe(false);
    expect(fixesSampling('gpt-5.4-mini', { reasoning_effort: 'low' })).toBe(true);
    expect(fixesSampling('gpt-6-sol', { reasoning: { effort: 'high' } })).toBe(true);
    expect(fixesSampling('gpt-5.4-mini', { reasoning_effort: 'none' })).toBe(false);
  });

  it('does not drop a temperature a request moved to GPT-5 chat model takes: it does not reason', () => {
    const b: Record<string, unknown> = { messages: [], temperature: 0.2, top_p: 0.5 };
    dropFixedSampling('openai.chat', b, 'gpt-5-chat-latest');
    expect(b).toEqual({ messages: [], temperature: 0.2, top_p: 0.5 });
    expect(fixesSampling('openai/gpt-5-chat-latest', {})).toBe(false);
  });

  it('drops only values other than the default, for chat and the Responses API', () => {
    const moved = (api: 'openai.chat' | 'openai.responses' | 'openai.embeddings', body: Record<string, unknown>) => {
      const b = { ...body };
      dropFixedSampling(api, b, 'gpt-5-mini');
      return b;
    };
    expect(moved('openai.chat', { messages: [], temperature: 0, top_p: 1 })).toEqual({ messages: [], top_p: 1 });
    expect(moved('openai.responses', { input: 'hi', temperature: 0.7, top_p: 0.5 })).toEqual({ input: 'hi' });
    expect(moved('openai.embeddings', { input: 'hi', temperature: 0.7 })).toEqual({ input: 'hi', temperature: 0.7 });
  });
});
