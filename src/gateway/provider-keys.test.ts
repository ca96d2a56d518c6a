import { describe, expect, it } from 'vitest';
import { checkProviderKey, keySource, lacksProviderKey, reachableCandidates } from './provider-keys.js';
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
    expect(() => checkProviderKey(at(true), 'allow')).toThrow(/no API key for provider "x".*, or send your own provider key\.$/);
    // The client reads this: a password in the base URL stays hidden.
    expect(() => checkProviderKey({ ...at(true), baseUrl: 'https://u:s3cret@llm.corp' }, 'allow')).toThrow(/\(https:\/\/u:\*\*\*@llm\.corp\)/);
    expect(() => checkProviderKey(at(true), 'own')).not.toThrow();
    expect(() => checkProviderKey(at(false), 'allow')).not.toThrow();
  });

  it('does not tell the client to send its own provider key where auth.passthrough refuses one', () => {
    let err: Error | undefined;
    try {
      checkProviderKey(at(true), 'deny');
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).toMatch(/set providers\[\]\.api_key for it in Tollgate's config \(a client's own provider key is refused here: auth\.passthrough is deny\)\.$/);
    expect(err?.message).not.toContain('send your own');
    expect(() => reachableCandidates('r', [{ d: { id: 'a', apiKey: undefined, keyRequired: true } }], 'deny')).toThrow(/auth\.passthrough is deny\)\.$/);
    expect(keySource({ upstreamKey: { kind: 'passthrough', key: 'sk-own' } }, { passthrough: 'allow' })).toBe('own');
    expect(keySource({ upstreamKey: { kind: 'configured' } }, { passthrough: 'deny' })).toBe('deny');
  });
});

describe("a route's candidates without the client's own key", () => {
  const c = (id: string, keyRequired: boolean, apiKey?: string) => ({ d: { id, apiKey, keyRequired } });

  it('leaves out the hosted deployments with no key, in order, and keeps all for a client key', () => {
    const all = [c('a', true), c('b', false), c('c', true, 'sk-c')];
    expect(reachableCandidates('r', all, 'allow').map((x) => x.d.id)).toEqual(['b', 'c']);
    expect(reachableCandidates('r', all, 'own')).toBe(all);
  });

  it('refuses when none is left, naming the route and its deployments', () => {
    expect(() => reachableCandidates('r', [c('a', true), c('b', true)], 'allow')).toThrow(/route "r" \(a, b\).*, or send your own provider key\.$/);
  });
});
