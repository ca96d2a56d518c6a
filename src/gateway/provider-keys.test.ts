import { describe, expect, it } from 'vitest';
import { checkProviderKey, lacksProviderKey } from './provider-keys.js';
import type { UpstreamProvider } from './select-provider.js';

const provider = (o: Partial<UpstreamProvider> = {}): UpstreamProvider => ({ name: 'x', dialect: 'openai', baseUrl: 'https://api.example', apiKey: undefined, models: undefined, headers: {}, catalog: undefined, ...o });

describe('a hosted API without a configured key', () => {
  const at = (keyRequired: boolean, apiKey?: string) => provider({ apiKey, keyRequired });

  it('lacks a key when the API wants one and none is configured; a local or compatible server may need none', () => {
    expect(lacksProviderKey(at(true))).toBe(true);
    expect(lacksProviderKey(at(true, 'sk-x'))).toBe(false);
    expect(lacksProviderKey(at(false))).toBe(false);
    expect(lacksProviderKey(provider())).toBe(false);
  });

  it("refuses a request without the client's own provider key, and lets one with it through", () => {
    expect(() => checkProviderKey(at(true), false)).toThrow(/no API key for provider "x"/);
    expect(() => checkProviderKey(at(true), true)).not.toThrow();
    expect(() => checkProviderKey(at(false), false)).not.toThrow();
  });
});
