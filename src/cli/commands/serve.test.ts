import { describe, expect, it } from 'vitest';
import { unpricedProviders } from './serve.js';

describe('unpricedProviders', () => {
  const providers = [
    { name: 'openai', catalog: 'openai' },
    { name: 'proxy', catalog: undefined },
    { name: 'local', catalog: undefined },
  ];

  it('names the providers the catalog does not know and no override prices', () => {
    expect(unpricedProviders(providers, []).map((p) => p.name)).toEqual(['proxy', 'local']);
    expect(unpricedProviders(providers, [{ provider: 'local' }]).map((p) => p.name)).toEqual(['proxy']);
  });

  it('names none when an override without a provider may price them', () => {
    expect(unpricedProviders(providers, [{ provider: undefined }])).toEqual([]);
  });
});
