import { describe, expect, it } from 'vitest';
import { dropCacheOptions, takesCacheOptions } from './cache-options.js';

describe('GPT-5.6 cache options on a changed model', () => {
  it('knows the models that take them: GPT-5.6 and later', () => {
    expect(['gpt-5.6-sol', 'gpt-5.6-luna-2026-07-30', 'gpt-6-sol', 'gpt-6.2-sol', 'openai/gpt-6.1-terra'].filter(takesCacheOptions)).toHaveLength(5);
    expect(['gpt-5.5', 'gpt-5-mini', 'gpt-5.4-nano', 'gpt-4.1', 'gpt-4o-mini', 'o4-mini', 'claude-haiku-4-5'].some(takesCacheOptions)).toBe(false);
  });

  it('keeps them for a model that takes them, and leaves the parsed request unchanged when it drops them', () => {
    const part = { type: 'input_text', text: 'x', prompt_cache_breakpoint: { mode: 'explicit' } };
    const json = { model: 'gpt-5.6-sol', prompt_cache_options: { mode: 'explicit' }, input: [{ role: 'user', content: [part] }] };
    const kept = { ...json };
    dropCacheOptions('openai.responses', kept, 'gpt-6-sol');
    expect(kept).toEqual(json);
    const dropped = { ...json };
    dropCacheOptions('openai.responses', dropped, 'gpt-5-mini');
    expect(dropped).toEqual({ model: 'gpt-5.6-sol', input: [{ role: 'user', content: [{ type: 'input_text', text: 'x' }] }] });
    expect(json.input[0]!.content[0]).toBe(part);
    expect(part.prompt_cache_breakpoint).toEqual({ mode: 'explicit' });
  });
});
