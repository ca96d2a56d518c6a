import { describe, expect, it } from 'vitest';
import { type UpstreamProvider, providerTable } from './select-provider.js';

const p = (name: string, dialect: UpstreamProvider['dialect'], models?: string[], translateFrom?: UpstreamProvider['translateFrom']): UpstreamProvider => ({
  name,
  dialect,
  baseUrl: 'http://x',
  apiKey: undefined,
  models,
  headers: {},
  catalog: undefined,
  ...(translateFrom ? { translateFrom } : {}),
});

describe('provider selection with translate_from', () => {
  const table = providerTable([p('local-qwen', 'openai', ['qwen*'], ['anthropic']), p('openai', 'openai'), p('anthropic', 'anthropic')]);

  it('a translating provider is chosen by its model globs, or by name', () => {
    expect(table.select('anthropic', 'qwen3-coder', undefined).name).toBe('local-qwen');
    expect(table.select('anthropic', 'any', 'local-qwen').name).toBe('local-qwen');
    expect(table.select('openai', 'qwen3-coder', undefined).name).toBe('local-qwen');
  });

  it('otherwise the dialect’s own provider comes first', () => {
    expect(table.select('anthropic', 'claude-sonnet-4-5', undefined).name).toBe('anthropic');
    expect(() => table.select('gemini', 'x', 'local-qwen')).toThrow('speaks the openai API, not gemini');
  });

  it('with no provider of the dialect, the first that translates from it', () => {
    const only = providerTable([p('local', 'openai', ['qwen*'], ['anthropic'])]);
    expect(only.select('anthropic', 'claude-sonnet-4-5', undefined).name).toBe('local');
    expect(() => only.select('gemini', 'g', undefined)).toThrow('No gemini provider');
  });
});
