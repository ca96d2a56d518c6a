import { describe, expect, it } from 'vitest';
import { loadConfig } from './index.js';
import { configFile as file, configIssues as issues } from './testing.js';

describe('cache settings', () => {
  it('hash prompt prefixes, keep no text and add no breakpoints by default', () => {
    expect(loadConfig({ env: {} }).cache).toEqual({ hashPrompts: true, storePrompts: false, rules: [] });
  });

  it('reads cache_analysis and the cache rules', () => {
    const c = loadConfig({
      file: file('cache_analysis: { store_prompts: true }\ncache:\n  - { model: "claude-sonnet-*", provider: anthropic, mode: auto }\n  - { model: "claude-opus-*", mode: auto, ttl: 1h }\n'),
      env: {},
    });
    expect(c.cache).toEqual({
      hashPrompts: true,
      storePrompts: true,
      rules: [
        { model: 'claude-sonnet-*', provider: 'anthropic', mode: 'auto', ttl: undefined },
        { model: 'claude-opus-*', provider: undefined, mode: 'auto', ttl: '1h' },
      ],
    });
  });

  it('names a bad mode, TTL or provider with its line', () => {
    expect(issues('cache:\n  - { model: "claude-*", mode: always }\n')).toEqual(['cache[0].mode@2: must be auto or off']);
    expect(issues('cache:\n  - { model: "claude-*", mode: auto, ttl: 5h }\n')).toEqual(['cache[0].ttl@2: must be 5m or 1h']);
    expect(issues('cache:\n  - { model: "claude-*", provider: bedrock, mode: auto }\n')).toEqual(['cache[0].provider@2: no provider is named "bedrock"']);
    expect(issues('cache_analysis: { store_prompt: true }\n')[0]).toMatch(/^cache_analysis.store_prompt@1: unknown setting; did you mean "store_prompts"\?/);
  });
});
