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
  const claude = (catalog: string, model: string) => (catalog === 'anthropic' || catalog === 'google') && model.startsWith('claude-');

  it('is not a target for a Claude model, which Google serves on Vertex in Anthropic’s format, not through generateContent', () => {
    const table = providerTable([p('anthropic', 'anthropic'), p('gemini', 'gemini')], { catalogPrices: claude });
    expect(() => table.target('gemini', 'claude-haiku-4-5', undefined)).toThrow(`Provider "gemini" takes any model name, but does not serve claude-haiku-4-5: the price catalog sells it as another vendor's model.`);
    expect(() => table.target('gemini', 'claude-haiku-4-5', 'gemini')).toThrow('does not serve claude-haiku-4-5');
    expect(table.target('gemini', 'gemini-2.5-flash', undefined).name).toBe('gemini');
    expect(table.target('anthropic', 'claude-haiku-4-5', undefined).name).toBe('anthropic');
    // A client asking for it is still sent where it asked.
    expect(table.select('gemini', 'claude-haiku-4-5', undefined).name).toBe('gemini');
  });

  it('gives a Claude model to a provider translating from Gemini, or to a Gemini provider whose globs name it', () => {
    const translating = providerTable([p('gemini', 'gemini'), p('anthropic', 'anthropic', undefined, ['gemini'])], { catalogPrices: claude });
    expect(translating.select('gemini', 'claude-haiku-4-5', undefined).name).toBe('anthropic');
    expect(translating.target('gemini', 'claude-haiku-4-5', undefined).name).toBe('anthropic');
    expect(translating.select('gemini', 'gemini-2.5-flash', undefined).name).toBe('gemini');
    const named = providerTable([p('vertex', 'gemini', ['claude-*', 'gemini-*'])], { catalogPrices: claude });
    expect(named.target('gemini', 'claude-haiku-4-5', undefined).name).toBe('vertex');
  });
});

describe('a provider that takes any model name, and another vendor’s model', () => {
  // As the catalog says: Azure sells OpenAI’s and Anthropic’s models; Google’s prices Claude (Vertex AI).
  const sells: Record<string, (m: string) => boolean> = {
    openai: (m) => m.startsWith('gpt-'),
    anthropic: (m) => m.startsWith('claude-'),
    google: (m) => m.startsWith('gemini-') || m.startsWith('claude-'),
    azure: (m) => m.startsWith('gpt-') || m.startsWith('claude-'),
  };
  const catalogPrices = (catalog: string, model: string) => sells[catalog]?.(model) ?? false;
  const at = (name: string, dialect: UpstreamProvider['dialect'], catalog: string | undefined, o: Partial<UpstreamProvider> = {}): UpstreamProvider => ({ ...p(name, dialect), catalog, ...o });

  it('does not serve a model the catalog sells as another vendor’s, whatever overrides price', () => {
    const table = providerTable([at('openai', 'openai', 'openai'), at('anthropic', 'anthropic', 'anthropic')], { catalogPrices });
    expect(() => table.target('anthropic', 'gpt-5-mini', undefined)).toThrow(`Provider "anthropic" takes any model name, but does not serve gpt-5-mini: the price catalog sells it as another vendor's model.`);
    expect(() => table.target('openai', 'claude-haiku-4-5', undefined)).toThrow('does not serve claude-haiku-4-5');
    expect(() => table.target('anthropic', 'gpt-5-mini', 'anthropic')).toThrow('does not serve gpt-5-mini');
    expect(table.target('openai', 'gpt-5-mini', undefined).name).toBe('openai');
    // A model no vendor’s catalog has (a local one, priced by an override) is served as before.
    expect(table.target('anthropic', 'qwen3-coder', undefined).name).toBe('anthropic');
    // A client asking for it is still sent where it asked.
    expect(table.select('anthropic', 'gpt-5-mini', undefined).name).toBe('anthropic');
  });

  it('counts the provider’s catalog, else its dialect’s vendor, as its own', () => {
    const table = providerTable([at('azure', 'openai', 'azure'), at('vertex-claude', 'anthropic', 'google'), at('local', 'gemini', undefined)], { catalogPrices });
    expect(table.target('openai', 'gpt-5-mini', undefined).name).toBe('azure');
    expect(table.target('openai', 'claude-haiku-4-5', undefined).name).toBe('azure');
    expect(table.target('anthropic', 'claude-haiku-4-5', undefined).name).toBe('vertex-claude');
    expect(() => table.target('anthropic', 'gpt-5-mini', undefined)).toThrow('does not serve gpt-5-mini');
    expect(table.target('gemini', 'gemini-2.5-flash', undefined).name).toBe('local');
    expect(() => table.target('gemini', 'gpt-5-mini', undefined)).toThrow('does not serve gpt-5-mini');
  });

  it('serves it where the provider’s globs name it, or a provider translating from the dialect takes any name', () => {
    const named = providerTable([at('anthropic', 'anthropic', 'anthropic', { models: ['claude-*', 'gpt-5-mini'] })], { catalogPrices });
    expect(named.target('anthropic', 'gpt-5-mini', undefined).name).toBe('anthropic');
    const translating = providerTable([at('anthropic', 'anthropic', 'anthropic'), at('openai', 'openai', 'openai', { translateFrom: ['anthropic'] })], { catalogPrices });
    expect(translating.target('anthropic', 'gpt-5-mini', undefined).name).toBe('openai');
    expect(translating.select('anthropic', 'gpt-5-mini', undefined).name).toBe('openai');
    expect(translating.select('anthropic', 'claude-sonnet-4-5', undefined).name).toBe('anthropic');
  });
});
