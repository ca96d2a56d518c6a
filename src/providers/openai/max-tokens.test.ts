import { describe, expect, it } from 'vitest';
import { capAsCompletionTokens, refusesMaxTokens } from './max-tokens.js';

describe('max_tokens on a chat request moved to a reasoning model', () => {
  it('knows the models that refuse it: the o-series, GPT-5 and later', () => {
    expect(['o3', 'o4-mini', 'gpt-5', 'gpt-5-mini', 'gpt-5.1-codex', 'gpt-6-sol', 'openai/gpt-5-nano'].every(refusesMaxTokens)).toBe(true);
    expect(['gpt-4.1', 'gpt-4o-mini', 'gpt-4.5-preview', 'gpt-3.5-turbo', 'omni-moderation-latest', 'llama-3.1-8b'].some(refusesMaxTokens)).toBe(false);
  });

  it('renames it only for such a model, and leaves a body that names both, or a Responses-shaped one, alone', () => {
    const moved = (body: Record<string, unknown>, model: string) => {
      const b = { ...body };
      capAsCompletionTokens('openai.chat', b, model);
      return b;
    };
    expect(moved({ messages: [], max_tokens: 50 }, 'gpt-5-mini')).toEqual({ messages: [], max_completion_tokens: 50 });
    expect(moved({ messages: [], max_tokens: 50 }, 'gpt-4.1-mini')).toEqual({ messages: [], max_tokens: 50 });
    expect(moved({ messages: [], max_tokens: 50, max_completion_tokens: 60 }, 'gpt-5-mini')).toEqual({ messages: [], max_tokens: 50, max_completion_tokens: 60 });
    expect(moved({ input: 'hi', max_tokens: 50 }, 'gpt-5-mini')).toEqual({ input: 'hi', max_tokens: 50 });
  });
});
