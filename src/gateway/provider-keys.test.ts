import { describe, expect, it } from 'vitest';
import { checkProviderKey, lacksProviderKey, reachableCandidates } from './provider-keys.js';
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
    // The client reads this: a password in the base URL stays hidden.
    expect(() => checkProviderKey({ ...at(true), baseUrl: 'https://u:s3cret@llm.corp' }, false)).toThrow(/\(https:\/\/u:\*\*\*@llm\.corp\)/);
    expect(() => checkProviderKey(at(true), true)).not.toThrow();
    expect(() => checkProviderKey(at(false), false)).not.toThrow();
  });
});

describe("a route's candidates without the client's own key", () => {
  const c = (id: string, keyRequired: boolean, apiKey?: string) => ({ d: { id, apiKey, keyRequired } });

  it('leaves out the hosted deployments with no key, in order, and keeps all for a client key', () => {
    const all = [c('a', true), c('b', false), c('c', true, 'sk-c')];
    expect(reachableCandidates('r', all, false).map((x) => x.d.id)).toEqual(['b', 'c']);
    expect(reachableCandidates('r', all, true)).toBe(all);
  });

  it('refuses when none is left, naming the route and its deployments', () => {
    expect(() => reachableCandidates('r', [c('a', true), c('b', true)], false)).toThrow(/route "r" \(a, b\)/);
  });
});
