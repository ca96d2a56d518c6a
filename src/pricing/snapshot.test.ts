import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type MatchLogic, calcPrice, findProvider } from '@pydantic/genai-prices';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Usage, zeroUsage } from '../core/usage.js';
import { exactModel } from './anchored-match.js';
import { createPricer, pricerWith } from './index.js';
import { SNAPSHOT_FILE, SNAPSHOT_PROVIDERS, SNAPSHOT_URLS, installedCatalogVersion, loadSnapshot, providerFor, snapshotLookup, takeSnapshot } from './snapshot.js';
import { SUPPLEMENT } from './supplement.js';

const find = (id: string) => findProvider({ providerId: id });
const byUrl = (url: string) => findProvider({ providerApiUrl: url });
const snapshot = takeSnapshot(find, byUrl, installedCatalogVersion());
/** The catalog itself, the reference: its entry for a model, only when matched by an exact rule. */
const catalogModel = (provider: string, model: string) => exactModel(calcPrice, provider, model);
const lookup = snapshotLookup(snapshot);

/** The names a match rule is written for, to build model ids from. */
function names(logic: MatchLogic): string[] {
  if ('or' in logic) return logic.or.flatMap(names);
  if ('and' in logic) return logic.and.flatMap(names);
  // A dated name also written compactly (gpt-4.1-20250414), which the catalog reads as gpt-4.1-2025-04-14.
  if ('equals' in logic) return [logic.equals, logic.equals.replace(/-(\d{4})-(\d{2})-(\d{2})/, '-$1$2$3')];
  if ('starts_with' in logic) return [logic.starts_with];
  if ('contains' in logic) return [logic.contains, `x-${logic.contains}-y`];
  if ('ends_with' in logic) return [logic.ends_with, `x-${logic.ends_with}`];
  return [];
}

/** Model ids an import may meet: every catalog name of the snapshot's providers, with release suffixes and look-alikes. */
const SUFFIXES = ['', '-20250929', '-2025-09-29', '@20250929', '-20251301', '-latest', '-5', '-v1:0', '-preview', ' ', '-mini', '-20250805-v1:0'];
const ids = [
  ...new Set([
    ...SNAPSHOT_PROVIDERS.flatMap((p) => find(p)!.models.flatMap((m) => [m.id, ...names(m.match)])).flatMap((n) => SUFFIXES.map((s) => n + s)),
    ...SUPPLEMENT.map((e) => `${e.id}-20261101`),
    'CLAUDE-SONNET-4-5-20250929',
    '  claude-opus-4-1-20250805 ',
    'claude-haiku-4-5-20251001',
    'claude-sonnet-5-9',
    'gpt-4o-mini-foo',
    'qwen3-coder',
    '<synthetic>',
    'unknown',
  ]),
];
const cases = SNAPSHOT_PROVIDERS.flatMap((p) => ids.map((id) => [p, id] as const));

describe("the importer's catalog snapshot", () => {
  it('finds the same catalog entry as the catalog itself, for every model name of its providers', () => {
    expect(cases.length).toBeGreaterThan(1000);
    let priced = 0;
    for (const [provider, id] of cases) {
      const mine = lookup(provider, id);
      const theirs = catalogModel(provider, id);
      // The snapshot keeps what pricing reads of an entry: its id, match rule and prices.
      expect(mine, `${provider} ${id}`).toEqual(theirs && JSON.parse(JSON.stringify({ id: theirs.id, match: theirs.match, prices: theirs.prices })));
      if (mine) priced++;
    }
    expect(priced).toBeGreaterThan(500);
  });

  it('prices every usage exactly as the catalog does: cache reads and writes, 1-hour writes, long-context tiers, dated prices, service tiers', () => {
    const fromSnapshot = pricerWith(lookup);
    const fromCatalog = createPricer();
    const u = (x: Partial<Usage>): Usage => ({ ...zeroUsage(), ...x });
    fc.assert(
      fc.property(
        fc.constantFrom(...cases),
        fc.record({ uncached: fc.nat(400_000), read: fc.nat(300_000), write5m: fc.nat(100_000), write1h: fc.nat(100_000), output: fc.nat(60_000) }),
        fc.date({ min: new Date('2024-01-01'), max: new Date('2027-06-01'), noInvalidDate: true }),
        fc.constantFrom(undefined, 'standard', 'batch', 'priority', 'flex'),
        ([provider, model], x, at, serviceTier) => {
          const usage = u({ inputTokens: x.uncached + x.read + x.write5m + x.write1h, cacheReadTokens: x.read, cacheWriteTokens: x.write5m + x.write1h, cacheWrite1hTokens: x.write1h, outputTokens: x.output });
          const q = { provider, catalogProvider: provider, model, usage, at, serviceTier };
          expect(fromSnapshot(q)).toEqual(fromCatalog(q));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('follows a provider to the providers it falls back to, as the catalog does', () => {
    // Google falls back to Anthropic in the catalog; the importer's providers do not fall back.
    const withFallback = snapshotLookup(takeSnapshot(find, byUrl, installedCatalogVersion(), ['google']), () => {
      throw new Error('asked the whole catalog');
    });
    const own = new Set(find('google')!.models.map((m) => m.id));
    let viaFallback = 0;
    for (const id of [...own, ...find('anthropic')!.models.map((m) => `${m.id}-20250929`), 'gemini-9']) {
      const theirs = catalogModel('google', id);
      expect(withFallback('google', id)?.prices, id).toEqual(theirs && JSON.parse(JSON.stringify(theirs.prices)));
      if (theirs && !own.has(theirs.id)) viaFallback++;
    }
    expect(viaFallback).toBeGreaterThan(0);
  });

  it('asks the whole catalog for a provider it does not hold', () => {
    expect(snapshot.providers.map((p) => p.id).sort()).toEqual([...SNAPSHOT_PROVIDERS].sort());
    const model = find('mistral')!.models.map((m) => m.id).find((id) => catalogModel('mistral', id) !== undefined)!;
    expect(lookup('mistral', model)?.id).toBe(model);
    expect(lookup('mistral', model)?.prices).toEqual(catalogModel('mistral', model)?.prices);
  });

  it('recognises upstreams as the catalog does: the URLs it recorded, loopback addresses, and the rest from the catalog', () => {
    for (const url of SNAPSHOT_URLS) expect(snapshot.urls[url], url).toBe(byUrl(url)?.id ?? null);
    expect(Object.values(snapshot.urls)).toEqual(['openai', 'anthropic', 'google']);
    // The snapshot's record is what answers (a made-up one shows it)...
    expect(providerFor({ ...snapshot, urls: { 'https://api.openai.com': 'recorded' } }, 'https://api.openai.com', undefined)).toBe('recorded');
    // ...loopback addresses have no provider in the catalog, so none is asked...
    for (const url of ['http://127.0.0.1:8000', 'http://localhost:11434', 'http://[::1]:8080', 'https://127.0.0.2']) {
      expect(byUrl(url), url).toBeUndefined();
      expect(providerFor(snapshot, url, undefined)).toBeUndefined();
    }
    // ...and any other URL is the catalog's to recognise.
    for (const url of ['https://myres.openai.azure.com', 'https://api.groq.com/openai', 'https://example.com']) expect(providerFor(snapshot, url, undefined), url).toBe(byUrl(url)?.id);
    expect(providerFor(snapshot, 'http://127.0.0.1:8000', 'openai')).toBe('openai');
  });

  it('is used only when taken from the installed catalog version', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-snapshot-'));
    const url = pathToFileURL(dir + '/');
    expect(loadSnapshot(url)).toBeUndefined();
    writeFileSync(join(dir, SNAPSHOT_FILE), JSON.stringify({ ...snapshot, catalogVersion: '0.0.1' }));
    expect(loadSnapshot(url)).toBeUndefined();
    writeFileSync(join(dir, SNAPSHOT_FILE), JSON.stringify(snapshot));
    expect(loadSnapshot(url)).toEqual(snapshot);
  });
});
