import { findProvider } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import { droppedTiers } from './index.js';
import { SNAPSHOT_PROVIDERS, installedCatalogVersion, providerModels, takeSnapshot } from './snapshot.js';

const at = new Date('2026-11-20T12:00:00Z');
const providers = [
  { name: 'openai', catalog: 'openai' },
  { name: 'azure-sol', catalog: 'openai' },
  { name: 'antd', catalog: 'anthropic' },
  { name: 'local', catalog: undefined },
];
const tier = { aboveTokens: 271_999, input: '10', output: '45' };

describe('droppedTiers: the long-context tiers overrides without one replace', () => {
  it('a flat override of a model whose catalog price has a tier drops it, once for the providers sharing a catalog', () => {
    expect(droppedTiers([{ model: 'gpt-5.6-sol*' }], providers, at)).toEqual([
      {
        index: 0,
        glob: 'gpt-5.6-sol*',
        catalog: 'openai',
        model: 'gpt-5.6-sol',
        above: 271_999,
        prices: [
          { name: 'input', short: '4', long: '8' },
          { name: 'cache read', short: '0.4', long: '0.8' },
          { name: 'cache write', short: '5', long: '10' },
          { name: 'output', short: '20', long: '30' },
        ],
      },
    ]);
  });

  it('an override with its own tier drops none', () => {
    expect(droppedTiers([{ model: 'gpt-5.6-sol*', longContext: tier }], providers, at)).toEqual([]);
  });

  it('the supplement’s tiers too (Haiku 5.5 past 100K), and none for a model without one (Sonnet 5.5)', () => {
    const d = droppedTiers([{ model: 'claude-sonnet-5-5*' }, { model: 'claude-haiku-5-5*', provider: 'antd' }], providers, at);
    expect(d.map((x) => [x.index, x.model, x.above, x.prices.find((p) => p.name === 'input')])).toEqual([[1, 'claude-haiku-5-5', 100_000, { name: 'input', short: '0.1', long: '0.5' }]]);
  });

  it('only at the catalog of the provider an override names', () => {
    expect(droppedTiers([{ model: 'gpt-5.6-sol*', provider: 'antd' }, { model: 'claude-haiku-5-5*', provider: 'openai' }], providers, at)).toEqual([]);
    expect(droppedTiers([{ model: 'gpt-5.6-sol*', provider: 'azure-sol' }], providers, at).map((x) => x.model)).toEqual(['gpt-5.6-sol']);
  });

  it('a dated name the catalog lists under another id, as a request for it is looked up (Sonnet 4’s correction)', () => {
    expect(droppedTiers([{ model: 'claude-sonnet-4-20250514' }], providers, at).map((x) => [x.model, x.above])).toEqual([['claude-sonnet-4-0', 200_000]]);
  });

  it('every tiered model a wide glob matches; none where the provider has no catalog', () => {
    const models = droppedTiers([{ model: 'gpt-5*' }], providers, at).map((x) => x.model);
    expect(models).toEqual(expect.arrayContaining(['gpt-5.4', 'gpt-5.5', 'gpt-5.6-sol', 'gpt-5.6-terra', 'gpt-5.6-luna']));
    expect(models).not.toContain('gpt-5');
    expect(droppedTiers([{ model: '*', provider: 'local' }], providers, at)).toEqual([]);
  });

  it('finds a provider’s models in the build’s snapshot as in the catalog, those it falls back to included', () => {
    const snapshot = takeSnapshot((id) => findProvider({ providerId: id }), (url) => findProvider({ providerApiUrl: url }), installedCatalogVersion());
    for (const p of [...SNAPSHOT_PROVIDERS, 'groq']) expect(providerModels(snapshot, p).map((m) => m.id)).toEqual(providerModels(undefined, p).map((m) => m.id));
    expect(providerModels(snapshot, 'google').map((m) => m.id)).toContain('claude-sonnet-4-5');
    expect(providerModels(snapshot, 'no-such-provider')).toEqual([]);
  });
});
