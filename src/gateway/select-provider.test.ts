import { describe, expect, it } from 'vitest';
import { type UpstreamProvider, providerTable, unmatchedModelNotices } from './select-provider.js';

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

describe('provider selection when globs leave a model out', () => {
  it('a model no globs match goes to the first provider of the dialect without globs, not the first of the dialect', () => {
    const table = providerTable([p('local-qwen', 'openai', ['qwen*'], ['anthropic']), p('openai', 'openai'), p('anthropic', 'anthropic')]);
    expect(table.select('openai', 'gpt-4o-mini', undefined).name).toBe('openai');
    expect(table.select('openai', 'qwen3-coder', undefined).name).toBe('local-qwen');
    expect(table.select('openai', '', undefined).name).toBe('openai');
  });

  it('a provider without globs serves any model wherever it stands, after those whose globs match', () => {
    const table = providerTable([p('a', 'openai', ['gpt-*']), p('b', 'openai', ['o*']), p('any', 'openai'), p('later', 'openai')]);
    expect(table.select('openai', 'o3', undefined).name).toBe('b');
    expect(table.select('openai', 'mistral-large', undefined).name).toBe('any');
  });

  it('when every provider of the dialect has globs and none matches, the first of them, as before', () => {
    const table = providerTable([p('a', 'openai', ['gpt-*']), p('b', 'openai', ['o*']), p('t', 'anthropic', undefined, ['openai'])]);
    expect(table.select('openai', 'mistral-large', undefined).name).toBe('a');
  });

  it('with no provider of the dialect, a translating provider without globs before the first translating one', () => {
    const table = providerTable([p('qwen', 'openai', ['qwen*'], ['anthropic']), p('any', 'openai', undefined, ['anthropic'])]);
    expect(table.select('anthropic', 'claude-sonnet-4-5', undefined).name).toBe('any');
    expect(table.select('anthropic', 'qwen3', undefined).name).toBe('qwen');
  });
});

describe('unmatchedModelNotices', () => {
  it('names each dialect whose every provider lists models, and the provider that takes the rest', () => {
    expect(unmatchedModelNotices([p('local-qwen', 'openai', ['qwen*'], ['anthropic']), p('openai', 'openai'), p('anthropic', 'anthropic')])).toEqual([]);
    expect(unmatchedModelNotices([p('a', 'openai', ['gpt-*', 'o*']), p('b', 'openai', ['qwen*']), p('gemini', 'gemini')])).toEqual([
      'Providers: every openai provider lists models, so openai requests for a model no globs match go to "a" (models: gpt-*, o*). Add one without models to serve the rest (docs/configuration.md#choosing-the-provider).',
    ]);
    expect(unmatchedModelNotices([p('local-qwen', 'openai', ['qwen*'], ['anthropic'])])).toHaveLength(2);
  });
});

describe('a Gemini provider that takes any model name, and Claude', () => {
  const claude = (model: string) => model.startsWith('claude-');

  it('is not a target for a Claude model, which Google serves on Vertex in Anthropic’s format, not through generateContent', () => {
    const table = providerTable([p('anthropic', 'anthropic'), p('gemini', 'gemini')], { anthropicModel: claude });
    expect(() => table.target('gemini', 'claude-haiku-4-5', undefined)).toThrow(`Provider "gemini" speaks Gemini's API, which does not serve claude-haiku-4-5.`);
    expect(() => table.target('gemini', 'claude-haiku-4-5', 'gemini')).toThrow('does not serve claude-haiku-4-5');
    expect(table.target('gemini', 'gemini-2.5-flash', undefined).name).toBe('gemini');
    expect(table.target('anthropic', 'claude-haiku-4-5', undefined).name).toBe('anthropic');
    // A client asking for it is still sent where it asked.
    expect(table.select('gemini', 'claude-haiku-4-5', undefined).name).toBe('gemini');
  });

  it('gives a Claude model to a provider translating from Gemini, or to a Gemini provider whose globs name it', () => {
    const translating = providerTable([p('gemini', 'gemini'), p('anthropic', 'anthropic', undefined, ['gemini'])], { anthropicModel: claude });
    expect(translating.select('gemini', 'claude-haiku-4-5', undefined).name).toBe('anthropic');
    expect(translating.target('gemini', 'claude-haiku-4-5', undefined).name).toBe('anthropic');
    expect(translating.select('gemini', 'gemini-2.5-flash', undefined).name).toBe('gemini');
    const named = providerTable([p('vertex', 'gemini', ['claude-*', 'gemini-*'])], { anthropicModel: claude });
    expect(named.target('gemini', 'claude-haiku-4-5', undefined).name).toBe('vertex');
  });
});
